/**
 * A whole 512² txt2img job on an imported full-size model in its own process, for its peak RSS
 * against the bytes of the weights it loads (text encoder, UNet, VAE decoder):
 *
 *   node job-case.js MODEL_DIR THREADS STEPS  → {ms, maxRssMb, weightBytes}
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectModel } from '../models/index.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { txt2img } from '../pipeline/txt2img.js';

/** Bytes of the files in the components a txt2img job opens. */
async function weightBytes(dir: string): Promise<number> {
  let total = 0;
  for (const component of ['text_encoder', 'unet', 'vae_decoder']) {
    for (const name of await readdir(join(dir, component))) total += (await stat(join(dir, component, name))).size;
  }
  return total;
}

async function main(): Promise<void> {
  const [dir, threadsArg, stepsArg] = process.argv.slice(2);
  const threads = Number(threadsArg);
  const steps = Number(stepsArg);
  if (dir === undefined || !(threads > 0) || !(steps > 0)) throw new Error('usage: job-case MODEL_DIR THREADS STEPS');
  const started = performance.now();
  const model = await LoadedModel.load(await inspectModel(dir), { threads });
  await txt2img(model, { prompt: 'a lighthouse at dusk, oil painting', negative: 'blurry', steps, width: 512, height: 512, seed: 7, scheduler: 'euler' });
  const ms = performance.now() - started;
  await model.release();
  console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, weightBytes: await weightBytes(dir) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
