import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTorchPython, repoRoot, runPython } from '../checkpoint/testing/torch-python.js';
import { importModel } from '../convert/import-model.js';
import { checkpointFixtureDir, type CheckpointCase } from '../convert/testing/checkpoint-fixtures.js';
import { inspectModel } from '../models/index.js';
import { ModelStore } from '../models/model-store.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { txt2img } from '../pipeline/txt2img.js';
import { measureOverhead } from './overhead.js';
import { fmtMs, fmtRatio, row, section } from './report.js';

const CASES: { family: CheckpointCase; size: number }[] = [
  { family: 'sdxl-full-depth', size: 1024 },
  { family: 'sd2', size: 512 },
];

interface ModelMacs {
  unet: number;
  vae: number;
}

/**
 * One VAE decode in UNet calls (batch 2, CFG) at 1024², in multiply-adds counted by torch on SDXL
 * base's real configs and on the bench's model (bench/torch/sdxl_macs.py): what the measured VAE
 * share is to be read against.
 */
async function sdxlMacs(python: string): Promise<{ real: ModelMacs; bench: ModelMacs }> {
  const script = join(repoRoot(), 'bridge-server', 'src', 'bench', 'torch', 'sdxl_macs.py');
  const wrapper = `import runpy, sys\nsys.argv = [${JSON.stringify(script)}]\nrunpy.run_path(${JSON.stringify(script)}, run_name='__main__')\n`;
  const { stdout } = await runPython(python, wrapper);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { real: ModelMacs; bench: ModelMacs };
}

/**
 * Pipeline overhead per family on small real-architecture checkpoints (SD's block structure and
 * tensor names at small widths, written by torch and imported by our own importer): total / Σ UNet
 * runs at each family's native size, as the SD 1.x section reports it. SDXL adds a second text
 * encoder, pooled embeddings and add_time_ids; none of it may cost. SDXL runs on the full-depth
 * fixture (SDXL's own depths at a fifth of its width) because the VAE decode is part of the total:
 * the import tests' shallow SDXL would weigh its VAE twice as heavily as SDXL does.
 */
export async function benchFamilies(): Promise<void> {
  section('txt2img per family on imported small real-architecture checkpoints, 20 steps, CFG (CPU)');
  const torch = await findTorchPython();
  if (torch === undefined) {
    row('skipped', 'no Python with torch to write the checkpoints (apt install python3-torch)');
    return;
  }
  for (const c of CASES) {
    const dir = await mkdtemp(join(tmpdir(), `lb-bench-${c.family}-`));
    try {
      const source = join(await checkpointFixtureDir(c.family, 'fp32'), 'model.safetensors');
      const imported = await importModel({ source, store: new ModelStore(dir), name: c.family });
      const model = await LoadedModel.load(await inspectModel(imported.dir));
      const request = { prompt: 'a lighthouse at dusk, oil painting', negative: 'blurry', steps: 20, width: c.size, height: c.size, seed: 7, scheduler: 'euler' };
      await txt2img(model, { ...request, steps: 1 }); // warm-up: first runs allocate arenas
      const mid = await measureOverhead(model, request);
      const label = `${c.family === 'sdxl-full-depth' ? 'sdxl' : c.family} ${c.size}²`;
      row(`${label}: total (median of 3)`, fmtMs(mid.total));
      row(`${label}: Σ UNet runs (${mid.unetRuns} calls)`, fmtMs(mid.unet));
      // Issue 15's target is SDXL's; SD 2.x's shallow fixture, like SD 2.x itself, spends a UNet call on the VAE.
      row(`${label}: total / Σ UNet${c.family === 'sdxl-full-depth' ? ' (target ≤ 1.05)' : ''}`, fmtRatio(mid.total / mid.unet));
      row(`${label}:   text encoders / VAE decoder`, `${fmtMs(mid.text)} / ${fmtMs(mid.vae)} (VAE = ${fmtRatio(mid.vae / (mid.unet / mid.unetRuns))} UNet calls)`);
      row(`${label}:   (total − text encoders − VAE) / Σ UNet`, fmtRatio((mid.total - mid.text - mid.vae) / mid.unet));
      if (c.family === 'sdxl-full-depth') {
        const macs = await sdxlMacs(torch.python);
        const calls = (m: ModelMacs): string => fmtRatio(m.vae / m.unet);
        row(`${label}:   VAE in UNet calls by multiply-adds, SDXL base / this model`, `${calls(macs.real)} / ${calls(macs.bench)}`);
        // The measured VAE time rescaled to the share SDXL base's VAE has against its UNet.
        const rescaledVae = mid.vae * (macs.real.vae / macs.real.unet / (macs.bench.vae / macs.bench.unet));
        const projected = (mid.total - mid.vae + rescaledVae) / mid.unet;
        row(`${label}:   the same total / Σ UNet with SDXL base's VAE share`, fmtRatio(projected));
      }
      row(`${label}:   our code outside any session, share`, `${((100 * (mid.total - mid.sessions)) / mid.total).toFixed(2)} %`);
      await model.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
