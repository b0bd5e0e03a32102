/**
 * `npm run bench -- unet-job` (also the end of the unet section): the peak RSS of a whole 512²
 * txt2img job (2 steps, CFG) on a full-size SD 1.5 imported by importModel from a random-weight
 * checkpoint, each case in its own process, against the bytes of the weights the job loads. The
 * bridge's default (lean residency) is measured against every session kept open and against the
 * sessions as first shipped (memory pattern on), in the same run.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findTorchPython, repoRoot, runPython } from '../checkpoint/testing/torch-python.js';
import { importModel } from '../convert/import-model.js';
import { ModelStore } from '../models/model-store.js';
import { fmtMs, fmtRatio, row, section } from './report.js';
import type { PhasePeak } from './rss-phases.js';

const run = promisify(execFile);

type JobMode = 'default' | 'resident' | 'memory-pattern';

interface JobCase {
  ms: number;
  maxRssMb: number;
  weightBytes: number;
  phases: PhasePeak[];
}

async function jobCase(modelDir: string, threads: number, mode: JobMode): Promise<JobCase> {
  const script = join(import.meta.dirname, 'job-case.js');
  const { stdout } = await run('nice', [process.execPath, script, modelDir, String(threads), '2', mode], { maxBuffer: 1 << 20, timeout: 3 * 3600_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as JobCase;
}

const REOPEN = 'settle after the job';

/**
 * The job as a server runs it, sessions already open: text encoding, steps, decoder open and
 * decode (the settle phase comes after; in the server it overlaps the time between jobs).
 */
const jobMs = (c: JobCase): number => c.ms - (c.phases.find((p) => p.phase === 'open text encoder + UNet')?.ms ?? 0);
const endOf = (c: JobCase, phase: string): number | undefined => c.phases.find((p) => p.phase === phase)?.endMb;

export async function benchJob(python: string, work: string, threads: number): Promise<void> {
  section('whole 512² txt2img job on an imported full-size SD 1.5 (random weights, fp32, CPU)');
  const checkpoint = join(work, 'sd15-full.safetensors');
  if (!existsSync(checkpoint)) {
    const script = join(repoRoot(), 'bridge-server', 'src', 'bench', 'torch', 'full_checkpoint.py');
    const wrapper = `import runpy, sys\nsys.argv = [${JSON.stringify(script)}, *sys.argv[1:]]\nrunpy.run_path(${JSON.stringify(script)}, run_name='__main__')\n`;
    await runPython(python, wrapper, [checkpoint, 'sd15'], { timeoutMs: 3 * 3600_000 });
  }
  const storeDir = join(work, 'store');
  const modelDir = join(storeDir, 'sd15');
  if (!existsSync(join(modelDir, 'model_index.json'))) await importModel({ source: checkpoint, store: new ModelStore(storeDir), name: 'sd15', dtype: 'fp32' });
  const first = await jobCase(modelDir, threads, 'memory-pattern');
  const resident = await jobCase(modelDir, threads, 'resident');
  const lean = await jobCase(modelDir, threads, 'default');
  const weights = lean.weightBytes / 1048576;
  const ratio = (mb: number | undefined) => (mb === undefined ? 'n/a' : `${fmtRatio(mb / weights)} (${(mb / 1024).toFixed(2)} GiB)`);
  row('weights a txt2img job loads (text encoder + UNet + VAE decoder)', `${(weights / 1024).toFixed(2)} GiB`);
  row('peak RSS / weights, lean residency (default; target ≤ 1.3)', ratio(lean.maxRssMb));
  row('  every session kept open (--keep-sessions)', ratio(resident.maxRssMb));
  row('  sessions as first shipped (memory pattern on)', ratio(first.maxRssMb));
  row('RSS kept after the job settles (sessions reopened), lean / kept open', `${ratio(endOf(lean, REOPEN))} / ${ratio(endOf(resident, REOPEN))}`);
  row('job time after the sessions open, lean / kept open / first shipped', `${fmtMs(jobMs(lean))} / ${fmtMs(jobMs(resident))} / ${fmtMs(jobMs(first))} (lean ${fmtRatio(jobMs(lean) / jobMs(resident))} of kept open)`);
  const reopen = lean.phases.find((p) => p.phase === REOPEN);
  if (reopen !== undefined) row('  lean: settling after the job (decoder evicted, sessions reopened; background in the server)', fmtMs(reopen.ms));
  for (const p of lean.phases) {
    const was = resident.phases.find((b) => b.phase === p.phase);
    row(`    ${p.phase}: peak / weights`, `${fmtRatio(p.peakMb / weights)} (from ${fmtRatio(p.startMb / weights)}), ${fmtMs(p.ms)}${was === undefined ? '' : `; kept open ${fmtRatio(was.peakMb / weights)}, ${fmtMs(was.ms)}`}`);
  }
}

export async function benchUnetJob(): Promise<void> {
  const torch = await findTorchPython();
  if (torch === undefined) {
    section('whole 512² txt2img job on an imported full-size SD 1.5');
    row('skipped', 'no Python with torch to write the checkpoint (apt install python3-torch)');
    return;
  }
  const keep = process.env['LATENT_BRIDGE_BENCH_UNET_WORK'];
  const work = keep ?? (await mkdtemp(join(tmpdir(), 'lb-bench-job-')));
  try {
    await mkdir(work, { recursive: true });
    await benchJob(torch.python, work, Number(process.env['LATENT_BRIDGE_BENCH_THREADS'] ?? availableParallelism()));
  } finally {
    if (keep === undefined) await rm(work, { recursive: true, force: true });
  }
}
