import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModel } from '../models/index.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { benchSchedulers } from '../pipeline/schedulers/bench.js';
import { txt2img } from '../pipeline/txt2img.js';
import { makeTestModel } from '../testmodels/index.js';
import { measureOverhead } from './overhead.js';
import { fmtMb, fmtMs, fmtRatio, median, row, section, timeIt } from './report.js';

/**
 * Core pipeline figures for tiny-random at 512×512, 20 steps: total time against the sum of the
 * UNet session runs measured in the same run (pipeline overhead), batched vs two-call CFG, peak RSS,
 * and each scheduler's per-step cost as a fraction of one UNet run.
 */
export async function benchPipeline(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lb-bench-'));
  try {
    await makeTestModel('tiny-random', dir, {});
    const model = await LoadedModel.load(await inspectModel(dir));
    const unet = await model.unet();
    const request = { prompt: 'a lighthouse at dusk', negative: 'blurry', steps: 20, width: 512, height: 512, seed: 7, scheduler: 'euler' };
    await txt2img(model, { ...request, steps: 2 }); // warm-up: first runs allocate arenas

    section('txt2img, tiny-random 512×512, 20 steps (CPU)');
    const mid = await measureOverhead(model, request);
    const total = mid.total;
    row('total (median of 3)', fmtMs(total));
    row('sum of UNet session runs', fmtMs(mid.unet));
    row('total / UNet (target ≤ 1.05)', fmtRatio(total / mid.unet));
    row('  text encoder run / VAE decoder run', `${fmtMs(mid.text)} / ${fmtMs(mid.vae)}`);
    row('  VAE decode in UNet runs (tiny-random; SD1.5 ≈ 1)', fmtRatio(mid.vae / (mid.unet / request.steps)));
    row('denoise loop / UNet runs (scheduler, CFG, tensor conversion)', fmtRatio(mid.denoise / mid.unet));
    row('our code outside any session, share of total', `${((100 * (total - mid.sessions)) / total).toFixed(2)} %`);

    const separate: number[] = [];
    for (let i = 0; i < 3; i++) separate.push((await timeIt(() => txt2img(model, request, { cfgMode: 'separate' }))).ms);
    row('two-call CFG total (median of 3)', fmtMs(median(separate)));
    row("batched CFG / two-call CFG", fmtRatio(total / median(separate)));
    row('peak RSS', fmtMb(process.resourceUsage().maxRSS * 1024));

    section('scheduler step cost, 2×4×128×128 latent, vs one tiny-random UNet run at 512×512 (batch 2)');
    unet.resetStats();
    await txt2img(model, { ...request, steps: 5 }, { cfgMode: 'batched' });
    const perUnetRun = unet.stats.totalMs / unet.stats.runs;
    row('one UNet run (batch 2, 64×64 latent)', fmtMs(perUnetRun));
    for (const s of await benchSchedulers([2, 4, 128, 128], 10)) {
      row(`  ${s.name}`, `${fmtMs(s.msPerStep)} per step = ${((100 * s.msPerStep) / perUnetRun).toFixed(2)} % of a UNet run`);
    }
    await model.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
