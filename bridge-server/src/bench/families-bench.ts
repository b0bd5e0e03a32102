import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTorchPython } from '../checkpoint/testing/torch-python.js';
import { importModel } from '../convert/import-model.js';
import { checkpointFixtureDir, type CheckpointCase } from '../convert/testing/checkpoint-fixtures.js';
import { inspectModel } from '../models/index.js';
import { ModelStore } from '../models/model-store.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { txt2img } from '../pipeline/txt2img.js';
import { measureOverhead } from './overhead.js';
import { fmtMs, fmtRatio, row, section } from './report.js';

const CASES: { family: CheckpointCase; size: number }[] = [
  { family: 'sdxl', size: 1024 },
  { family: 'sd2', size: 512 },
];

/**
 * Pipeline overhead per family on the import tests' small real-architecture checkpoints (SD's
 * block structure and tensor names at small widths, written by torch and imported by our own
 * importer): total / Σ UNet runs at each family's native size, as the SD 1.x section reports it.
 * SDXL adds a second text encoder, pooled embeddings and add_time_ids; none of it may cost.
 */
export async function benchFamilies(): Promise<void> {
  section('txt2img per family on imported small real-architecture checkpoints, 20 steps, CFG (CPU)');
  if ((await findTorchPython()) === undefined) {
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
      const label = `${c.family} ${c.size}²`;
      row(`${label}: total (median of 3)`, fmtMs(mid.total));
      row(`${label}: Σ UNet runs (${mid.unetRuns} calls)`, fmtMs(mid.unet));
      row(`${label}: total / Σ UNet (target ≤ 1.05)`, fmtRatio(mid.total / mid.unet));
      row(`${label}:   text encoders / VAE decoder`, `${fmtMs(mid.text)} / ${fmtMs(mid.vae)} (VAE = ${fmtRatio(mid.vae / (mid.unet / mid.unetRuns))} UNet calls)`);
      row(`${label}:   (total − text encoders − VAE) / Σ UNet`, fmtRatio((mid.total - mid.text - mid.vae) / mid.unet));
      row(`${label}:   our code outside any session, share`, `${((100 * (mid.total - mid.sessions)) / mid.total).toFixed(2)} %`);
      await model.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
