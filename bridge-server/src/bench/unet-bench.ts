/**
 * The full-size SD 1.5 UNet step (512², batch 2 for CFG) of our imported graph on onnxruntime's CPU
 * provider against PyTorch on the CPU, with the same weights, in the same run, each in its own
 * process: torch writes random weights as an fp16 CompVis checkpoint (bench/torch/unet_step.py),
 * our importer's graph code builds the UNet from that file (each graph variant), and torch loads the
 * same file into the LDM UNetModel the graph tests compare with. Per variant: session start cold
 * (no optimized-model cache: onnxruntime optimizes the graph and writes the cache) and warm (the
 * cached graph), step time (wall, and CPU time of all threads, which a machine shared with other
 * work disturbs less), peak RSS against the weights' bytes, and the output against torch's.
 *
 * LATENT_BRIDGE_BENCH_UNET_RUNS (default 1) timed steps after a warm-up step (the cold-start
 * process only opens the session);
 * LATENT_BRIDGE_BENCH_THREADS (default: the machine's cores) for both sides;
 * LATENT_BRIDGE_BENCH_UNET_CASES=standard,fused,fused-fp16-weights picks graphs (default all; the
 * first is the baseline when LATENT_BRIDGE_BENCH_UNET_TORCH=0 leaves torch out);
 * LATENT_BRIDGE_BENCH_UNET_JOB=0 leaves out the whole-job peak RSS (it imports a full checkpoint);
 * LATENT_BRIDGE_BENCH_UNET_WORK=DIR keeps the checkpoint and graphs there between runs (3.4 GB per
 * variant; default: a temporary folder removed afterwards).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openCheckpoint } from '../checkpoint/index.js';
import { findTorchPython, repoRoot, runPython } from '../checkpoint/testing/torch-python.js';
import { ldmUnetWeights } from '../convert/layouts/ldm-unet.js';
import { deriveUnetConfig } from '../convert/unet-config.js';
import { GRAPH_VARIANTS, type GraphVariant } from '../graphs/norms.js';
import { buildUnet } from '../graphs/unet.js';
import type { FloatType } from '../onnx/index.js';
import { fmtMs, fmtRatio, row, section } from './report.js';
import { benchJob } from './job-bench.js';

const run = promisify(execFile);
// The default: a warm-up step and one timed step per case (a full-size step is minutes on 2 cores).
const GiB = 1024 ** 3;

interface OrtCase {
  openMs: number;
  firstStepMs: number;
  stepMs: number[];
  cpuMs: number[];
  rssAfterOpenMb: number;
  maxRssMb: number;
  relativeError?: number;
}

interface TorchCase {
  loadMs: number;
  stepMs: number[];
  cpuMs: number[];
  maxRssMb: number;
}

async function ortCase(model: string, cache: string, runs: number, threads: number, torchOut: string): Promise<OrtCase> {
  const script = join(import.meta.dirname, 'unet-case.js');
  const { stdout } = await run('nice', [process.execPath, script, model, cache, String(runs), String(threads), torchOut], { maxBuffer: 1 << 20, timeout: 3 * 3600_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as OrtCase;
}

async function torchScript(python: string, args: string[]): Promise<string> {
  const script = join(repoRoot(), 'bridge-server', 'src', 'bench', 'torch', 'unet_step.py');
  // The script loads the UNet reference by its path, so it runs from its file.
  const wrapper = `import runpy, sys\nsys.argv = [${JSON.stringify(script)}, *sys.argv[1:]]\nrunpy.run_path(${JSON.stringify(script)}, run_name='__main__')\n`;
  const { stdout } = await runPython(python, wrapper, args, { timeoutMs: 3 * 3600_000 });
  return stdout.trim().split('\n').pop() ?? '{}';
}

interface UnetCase {
  name: string;
  label: string;
  variant: GraphVariant;
  weightStorage?: FloatType;
}

/** The graphs measured: each variant in float32, and the default one with float16 weights on disk. */
const UNET_CASES: UnetCase[] = [
  ...GRAPH_VARIANTS.map((variant) => ({ name: variant, label: `${variant} graph`, variant })),
  { name: 'fused-fp16-weights', label: 'fused graph, fp16 weights on disk', variant: 'fused', weightStorage: 'float16' },
];

/** The UNet as our importer builds it from the checkpoint: float32 compute, in the case's variant and weight storage. */
async function buildVariant(checkpoint: string, dir: string, c: UnetCase): Promise<void> {
  if (existsSync(join(dir, 'model.onnx'))) return;
  const source = await openCheckpoint(checkpoint);
  try {
    const { weights } = ldmUnetWeights(source);
    const graph = buildUnet(deriveUnetConfig(weights, { family: 'sd1' }), weights, { floatType: 'float32', variant: c.variant, ...(c.weightStorage !== undefined ? { weightStorage: c.weightStorage } : {}) });
    await graph.write(dir, 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
  } finally {
    await source.close();
  }
}

const best = (ms: readonly number[]): number => Math.min(...ms);

export async function benchUnet(): Promise<void> {
  section('SD 1.5 UNet step at full size: 512², batch 2 (CFG), random weights, onnxruntime CPU vs PyTorch CPU');
  const torch = await findTorchPython();
  if (torch === undefined) {
    row('skipped', 'no Python with torch for the baseline (apt install python3-torch)');
    return;
  }
  const runs = Number(process.env['LATENT_BRIDGE_BENCH_UNET_RUNS'] ?? 1);
  const threads = Number(process.env['LATENT_BRIDGE_BENCH_THREADS'] ?? availableParallelism());
  const keep = process.env['LATENT_BRIDGE_BENCH_UNET_WORK'];
  const work = keep ?? (await mkdtemp(join(tmpdir(), 'lb-bench-unet-')));
  try {
    await mkdir(work, { recursive: true });
    const checkpoint = join(work, 'sd15-unet.safetensors');
    if (!existsSync(checkpoint)) await torchScript(torch.python, ['write', checkpoint]);
    row('threads (both sides), timed steps per case', `${threads}, ${runs} after a warm-up step (best reported)`);

    const torchOut = join(work, 'torch-out.f32');
    let baseStep: number | undefined;
    let baseCpu: number | undefined;
    if (process.env['LATENT_BRIDGE_BENCH_UNET_TORCH'] !== '0') {
      const base = JSON.parse(await torchScript(torch.python, ['run', checkpoint, torchOut, String(threads), String(runs)])) as TorchCase;
      baseStep = best(base.stepMs);
      baseCpu = best(base.cpuMs);
      row(`PyTorch ${torch.torchVersion} (LDM UNetModel, float32): step`, `${fmtMs(baseStep)} wall, ${fmtMs(baseCpu)} CPU (baseline)`);
      row('PyTorch: load weights into the model', fmtMs(base.loadMs));
      row('PyTorch: peak RSS', `${base.maxRssMb.toFixed(0)} MiB`);
    }
    const asked = process.env['LATENT_BRIDGE_BENCH_UNET_CASES']?.split(',');
    let first: { step: number; cpu: number; name: string } | undefined;
    for (const c of UNET_CASES.filter((k) => asked === undefined || asked.includes(k.name))) {
      const dir = join(work, `unet-${c.name}`);
      await buildVariant(checkpoint, dir, c);
      const diskBytes = (await stat(join(dir, 'model.onnx_data'))).size;
      // What the session holds: float32 weights, whatever the file stores.
      const weightBytes = c.weightStorage === 'float16' ? 2 * diskBytes : diskBytes;
      const cache = join(work, `cache-${c.name}`);
      await rm(cache, { recursive: true, force: true });
      const hasTorch = existsSync(torchOut) ? torchOut : '-';
      const cold = await ortCase(join(dir, 'model.onnx'), cache, -1, threads, hasTorch);
      const warm = await ortCase(join(dir, 'model.onnx'), cache, runs, threads, hasTorch);
      const step = best(warm.stepMs);
      const cpu = best(warm.cpuMs);
      const label = `onnxruntime, ${c.label}`;
      const vs = (mine: number, torchMs: number | undefined, firstMs: number | undefined): string =>
        torchMs !== undefined ? `${fmtRatio(mine / torchMs)} of PyTorch` : firstMs !== undefined && first !== undefined ? `${fmtRatio(mine / firstMs)} of ${first.name}` : 'baseline';
      row(`${label}: step, wall`, `${fmtMs(step)} = ${vs(step, baseStep, first?.step)}${baseStep !== undefined ? ' (target ≤ 1.0×)' : ''}`);
      row(`${label}: step, CPU time (all threads)`, `${fmtMs(cpu)} = ${vs(cpu, baseCpu, first?.cpu)}`);
      first ??= { step, cpu, name: c.name };
      row(`${label}: weights on disk`, `${(diskBytes / GiB).toFixed(2)} GiB`);
      row(`${label}: session start, cold (optimize + write cache)`, `${fmtMs(cold.openMs)}, peak RSS ${(cold.maxRssMb / 1024).toFixed(2)} GiB`);
      row(`${label}: session start, warm (cached optimized graph)`, `${fmtMs(warm.openMs)} = ${fmtRatio(warm.openMs / cold.openMs)} of cold, first step ${fmtMs(warm.firstStepMs)}`);
      row(`${label}: peak RSS / weight bytes (target ≤ 1.3)`, `${fmtRatio(warm.maxRssMb / (weightBytes / 1048576))} (peak ${(warm.maxRssMb / 1024).toFixed(2)} GiB, after open ${(warm.rssAfterOpenMb / 1024).toFixed(2)} GiB, float32 weights ${(weightBytes / GiB).toFixed(2)} GiB)`);
      if (warm.relativeError !== undefined) row(`${label}: output vs PyTorch (max error / max|ref|)`, warm.relativeError.toExponential(2));
      if (keep === undefined) await Promise.all([rm(dir, { recursive: true, force: true }), rm(cache, { recursive: true, force: true })]);
    }
    if (process.env['LATENT_BRIDGE_BENCH_UNET_JOB'] !== '0') await benchJob(torch.python, work, threads);
  } finally {
    if (keep === undefined) await rm(work, { recursive: true, force: true });
  }
}
