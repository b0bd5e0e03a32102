/**
 * A whole 512² txt2img job on an imported full-size model in its own process, for its peak RSS
 * against the bytes of the weights it loads (text encoder, UNet, VAE decoder), and the peak of each
 * phase (session opens, each model run), so the bench can say where the peak is:
 *
 *   node job-case.js MODEL_DIR THREADS STEPS [default|memory-pattern|resident]  → {ms, maxRssMb, weightBytes, phases}
 *
 * 'memory-pattern' opens the sessions with onnxruntime's memory pattern on (the bridge's setting
 * before it was turned off), 'resident' keeps every session open through the decode (residency
 * 'resident'), for the bench's baselines. The job then settles (LoadedModel.settle, as the server
 * does when a model's last job ends) in a last phase, whose end is the RSS kept between jobs.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectModel } from '../models/index.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { txt2img } from '../pipeline/txt2img.js';
import type { OnnxModel } from '../runtime/index.js';
import { RssPhases } from './rss-phases.js';

/** Bytes of the files in the components a txt2img job opens. */
async function weightBytes(dir: string): Promise<number> {
  let total = 0;
  for (const component of ['text_encoder', 'unet', 'vae_decoder']) {
    for (const name of await readdir(join(dir, component))) total += (await stat(join(dir, component, name))).size;
  }
  return total;
}

/** Measures every run of a session as its own phase ("unet run 1", …). */
function watchRuns(session: OnnxModel, name: string, phases: RssPhases): void {
  const run = session.run.bind(session);
  let n = 0;
  session.run = (feeds) => phases.measure(`${name} run ${++n}`, () => run(feeds));
}

async function main(): Promise<void> {
  const [dir, threadsArg, stepsArg, mode = 'default'] = process.argv.slice(2);
  const threads = Number(threadsArg);
  const steps = Number(stepsArg);
  if (dir === undefined || !(threads > 0) || !(steps > 0) || !['default', 'memory-pattern', 'resident'].includes(mode)) {
    throw new Error('usage: job-case MODEL_DIR THREADS STEPS [default|memory-pattern|resident]');
  }
  const phases = new RssPhases();
  const started = performance.now();
  const model = await phases.measure('open text encoder + UNet', async () => LoadedModel.load(await inspectModel(dir), { threads, memoryPattern: mode === 'memory-pattern', residency: mode === 'default' ? 'lean' : 'resident' }));
  for (const [name, session] of await model.openSessions()) watchRuns(session, name, phases);
  // The VAE decoder opens when the job first decodes, as in the server: its open is a phase too.
  const openVae = model.vaeDecoder.bind(model);
  let vae: Promise<OnnxModel> | undefined;
  model.vaeDecoder = () =>
    (vae ??= phases.measure('open VAE decoder', async () => {
      const session = await openVae();
      watchRuns(session, 'vae_decoder', phases);
      return session;
    }));
  await txt2img(model, { prompt: 'a lighthouse at dusk, oil painting', negative: 'blurry', steps, width: 512, height: 512, seed: 7, scheduler: 'euler' });
  const ms = performance.now() - started;
  await phases.measure('settle after the job', () => model.settle());
  await model.release();
  // Each phase resets the kernel's high-water mark, so the job's peak is the highest phase peak.
  const maxRssMb = Math.max(...phases.phases.map((p) => p.peakMb));
  console.log(JSON.stringify({ ms, maxRssMb, weightBytes: await weightBytes(dir), phases: phases.phases }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
