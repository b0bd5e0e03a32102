/**
 * One VAE benchmark case in its own process, so its peak RSS is its own: decodes a latent of the
 * given size once (after opening the session) and prints {ms, maxRssMb} as JSON.
 *
 *   node vae-case.js decode|tiled|taesd MODEL.onnx H W
 */
import { OnnxModel } from '../runtime/index.js';
import { decodeTiled } from '../pipeline/vae-tiling/tiled-decode.js';
import { resolveTiling } from '../pipeline/vae-tiling/tiling-options.js';

async function main(): Promise<void> {
  const [kind, file, hs, ws] = process.argv.slice(2);
  const h = Number(hs);
  const w = Number(ws);
  if (file === undefined || !(h > 0) || !(w > 0)) throw new Error('usage: vae-case decode|tiled|taesd MODEL.onnx H W');
  const model = await OnnxModel.open(file);
  const latents = new Float32Array(4 * h * w);
  for (let c = 0; c < 4; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) latents[(c * h + y) * w + x] = Math.sin(x * 0.21 + c) + Math.cos(y * 0.13 * (c + 1));
  const started = performance.now();
  if (kind === 'tiled') {
    await decodeTiled(model, { data: latents, channels: 4, height: h, width: w }, resolveTiling({ mode: 'always' }), 4);
  } else {
    await model.run({ latent_sample: { data: latents, dims: [1, 4, h, w] } });
  }
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  await model.release();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
