import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { cloneRgba, type Mask, type RgbaImage } from '../image/index.js';
import { inspectModel } from '../models/index.js';
import { inpaint, type InpaintRequest } from '../pipeline/inpaint.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { makeTestModel } from '../testmodels/index.js';
import { fmtMs, median, row, section, timeIt } from './report.js';

const DOC = 2048;
const SELECTION = { x: 731, y: 919, width: 600, height: 400 };
/** Timed jobs per model; the shares are medians (the machines here are shared and noisy). */
const RUNS = 9;

/** A document with texture everywhere, so crop, resize and composite do real work. */
function documentImage(): RgbaImage {
  const data = new Uint8Array(DOC * DOC * 4);
  for (let y = 0; y < DOC; y++) {
    for (let x = 0; x < DOC; x++) {
      const o = (y * DOC + x) * 4;
      data[o] = (x * 7 + y) & 255;
      data[o + 1] = (x ^ y) & 255;
      data[o + 2] = (y * 3) & 255;
      data[o + 3] = 255;
    }
  }
  return { width: DOC, height: DOC, data };
}

function selectionMask(): Mask {
  const data = new Uint8Array(DOC * DOC);
  for (let y = SELECTION.y; y < SELECTION.y + SELECTION.height; y++) data.fill(255, y * DOC + SELECTION.x, y * DOC + SELECTION.x + SELECTION.width);
  return { width: DOC, height: DOC, data };
}

/** Wall time of every model session run so far (text encoder, UNet, VAE encoder and decoder). */
async function modelMs(model: LoadedModel): Promise<number> {
  let sum = 0;
  for (const session of (await model.openSessions()).values()) sum += session.stats.totalMs;
  return sum;
}

async function resetStats(model: LoadedModel): Promise<void> {
  for (const session of (await model.openSessions()).values()) session.resetStats();
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/**
 * Process CPU time spent inside model runs, all threads. On a busy machine wall-clock shares
 * swing with the other load; CPU time does not, so the bench reports both.
 */
async function countModelCpu(model: LoadedModel): Promise<{ ms: number }> {
  const counter = { ms: 0 };
  for (const session of (await model.openSessions()).values()) {
    const run = session.run.bind(session);
    session.run = async (feeds) => {
      const start = process.cpuUsage();
      try {
        return await run(feeds);
      } finally {
        counter.ms += cpuMs(start);
      }
    };
  }
  return counter;
}

/**
 * Inpainting a 600×400 selection of a 2048×2048 document with tiny-random at 20 steps: the share
 * of the job spent outside model runs (selection bounds, grow/feather, crop, resize, tensors,
 * scheduler, composite). Target ≤ 5 %.
 */
export async function benchEdit(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lb-edit-bench-'));
  try {
    const image = documentImage();
    const mask = selectionMask();
    for (const inpaintUnet of [true, false]) {
      const target = join(dir, inpaintUnet ? 'inpaint' : 'plain');
      await makeTestModel('tiny-random', target, { inpaint: inpaintUnet });
      const model = await LoadedModel.load(await inspectModel(target));
      const request: InpaintRequest = { prompt: 'a stone wall', negative: 'blurry', steps: 20, seed: 3, scheduler: 'euler', image, mask };
      // Warm-up: one whole job, so arenas, the JIT and sharp's threads are as they are in a running server.
      await inpaint(model, { ...request, image: cloneRgba(image), reuseImage: true });
      section(`inpaint ${DOC}×${DOC} document, ${SELECTION.width}×${SELECTION.height} selection, tiny-random ${inpaintUnet ? '9-channel' : '4-channel (latent blend)'}, 20 steps (CPU)`);
      const modelCpu = await countModelCpu(model);
      const gc = { major: 0, pauseMs: 0 };
      // Typed-array churn shows up as collections; the bench says how many land in the timed jobs.
      const gcWatch = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const detail = (e as { detail?: { kind?: number } }).detail;
          if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
          gc.pauseMs += e.duration;
        }
      });
      gcWatch.observe({ entryTypes: ['gc'] });
      const totals: number[] = [];
      const outside: number[] = [];
      const cpuShares: number[] = [];
      let size = '';
      for (let i = 0; i < RUNS; i++) {
        await resetStats(model);
        modelCpu.ms = 0;
        // As the server runs it: the decoded document is the job's own, so results go into it.
        const own = { ...request, image: cloneRgba(image), reuseImage: true };
        const cpuStart = process.cpuUsage();
        const { ms, value } = await timeIt(() => inpaint(model, own));
        const cpuTotal = cpuMs(cpuStart);
        totals.push(ms);
        outside.push(ms - (await modelMs(model)));
        cpuShares.push((cpuTotal - modelCpu.ms) / cpuTotal);
        size = `${value.params.width}×${value.params.height}`;
      }
      await new Promise((resolve) => setTimeout(resolve, 20)); // let the last gc entries arrive
      gcWatch.disconnect();
      const loads = loadavg().map((l) => l.toFixed(1)).join(' ');
      row('generation size', size);
      row(`total (median of ${RUNS})`, fmtMs(median(totals)));
      row(`outside model runs (median of ${RUNS})`, fmtMs(median(outside)));
      row('share outside model runs, wall (target ≤ 5 %)', `${((100 * median(outside)) / median(totals)).toFixed(2)} %  (load ${loads} on ${cpus().length} CPUs)`);
      row('major collections per job (all GC pauses per job)', `${(gc.major / RUNS).toFixed(1)}  (${fmtMs(gc.pauseMs / RUNS)})`);
      row('share outside model runs, process CPU time', `${(100 * median(cpuShares)).toFixed(2)} %`);
      const copies: number[] = [];
      for (let i = 0; i < 3; i++) copies.push((await timeIt(async () => cloneRgba(image))).ms);
      row('+ a fresh document copy when the caller keeps it', fmtMs(median(copies)));
      await model.release();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
