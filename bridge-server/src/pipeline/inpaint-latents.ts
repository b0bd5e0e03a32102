/**
 * The latent side of inpainting at model size, both ways diffusers' StableDiffusionInpaintPipeline
 * has, with its generator draws in its order (image encode, noise, masked-image encode):
 *
 * - 9-channel inpainting UNet: each step's input is [scaled latents, mask, masked-image latents];
 *   the mask is the repaint mask binarized and sampled at each 8×8 block's top-left pixel, the
 *   masked image is the image with the repaint area set to 0 (mid grey), encoded × scaling_factor.
 * - 4-channel UNet: after each step the kept region of the latents is replaced by the image
 *   latents noised to the next timestep, and by the clean image latents after the last one.
 *
 * strength 1 starts from noise · init_noise_sigma; below, from the image latents noised at the
 * first kept timestep, as img2img.
 */
import { LATENT_SCALE, inpaintConditioning, legacyLatentMask, rgbaToChw, type Mask, type OpaquePixels } from '../image/index.js';
import { imageLatents, skipImageLatentDraws } from './image-latents.js';
import { initialNoise } from './noise.js';
import type { LoopInput, PromptRun } from './run-core.js';
import { img2imgTimesteps } from './schedulers/index.js';
import { imageTensors } from './tensor-pool.js';

/** Which way a model inpaints: its UNet takes 9 input channels, or the ordinary 4. */
export function inpaintsWithUnet(run: PromptRun): boolean {
  return run.model.info.inChannels === 9;
}

function scaled(noise: Float32Array, sigma: number): Float32Array {
  const s = Math.fround(sigma);
  const out = new Float32Array(noise.length);
  for (let i = 0; i < out.length; i++) out[i] = (noise[i] as number) * s;
  return out;
}

/**
 * The extra channels a 9-channel UNet needs when nothing is kept (txt2img, img2img): mask 1
 * everywhere and the latents of the fully masked image, mid grey — as A1111 conditions inpainting
 * models outside inpainting. Undefined for 4-channel UNets.
 */
export async function fullRepaintChannels(run: PromptRun): Promise<Float32Array | undefined> {
  if (!inpaintsWithUnet(run)) return undefined;
  const [batch, , lh, lw] = run.shape;
  const width = lw * 8;
  const height = lh * 8;
  const grey = new Float32Array(3 * width * height);
  const masked = await imageLatents(run.model, grey, width, height, run.params, run.noise);
  const plane = lh * lw;
  const extra = new Float32Array(batch * 5 * plane);
  for (let b = 0; b < batch; b++) {
    extra.fill(1, b * 5 * plane, (b * 5 + 1) * plane);
    extra.set(masked.subarray(b * 4 * plane, (b + 1) * 4 * plane), (b * 5 + 1) * plane);
  }
  return extra;
}

/** The loop's starting latents, timesteps and per-step extras for an image and its repaint mask (255 = repaint). */
export async function inpaintLoopInput(run: PromptRun, image: OpaquePixels, repaint: Mask, strength: number): Promise<LoopInput> {
  const { model, params, scheduler, shape } = run;
  const [batch, , lh, lw] = shape;
  const timesteps = img2imgTimesteps(scheduler, params.steps, strength).timesteps;
  const strengthMax = strength === 1;
  const nine = inpaintsWithUnet(run);

  const pixels = image.width * image.height * 3;
  // diffusers encodes the image here unless a 9-channel UNet starts from pure noise.
  let imageLat: Float32Array | undefined;
  if (!nine || !strengthMax) {
    const chw = rgbaToChw(image, imageTensors.take(pixels));
    imageLat = await imageLatents(model, chw, image.width, image.height, params, run.noise).finally(() => imageTensors.give(chw));
  }
  const noise = initialNoise(run.noise, shape, params);
  const latents = imageLat && !strengthMax ? scheduler.addNoise(imageLat, noise, timesteps[0] as number) : scaled(noise, scheduler.initNoiseSigma);

  if (nine) {
    const tensors = inpaintConditioning(image, repaint, LATENT_SCALE, imageTensors.take(pixels));
    const masked = await imageLatents(model, tensors.maskedImage, image.width, image.height, params, run.noise).finally(() =>
      imageTensors.give(tensors.maskedImage),
    );
    const plane = lh * lw;
    const extra = new Float32Array(batch * 5 * plane);
    for (let b = 0; b < batch; b++) {
      extra.set(tensors.mask, b * 5 * plane);
      extra.set(masked.subarray(b * 4 * plane, (b + 1) * 4 * plane), (b * 5 + 1) * plane);
    }
    return { latents, timesteps, extraChannels: extra };
  }

  await skipImageLatentDraws(model, lh, lw, params, run.noise);
  const init = imageLat as Float32Array;
  const keep = legacyLatentMask(repaint);
  const per = keep.length;
  // The step's prevSample is the loop's to keep (StepResult), so the blend is written into it.
  const afterStep = (current: Float32Array, i: number): Float32Array => {
    const next = timesteps[i + 1];
    const proper = next === undefined ? init : scheduler.addNoise(init, noise, next);
    for (let start = 0; start < current.length; start += per) {
      for (let j = 0, i = start; j < per; j++, i++) {
        const k = keep[j] as number;
        current[i] = k * (proper[i] as number) + (1 - k) * (current[i] as number);
      }
    }
    return current;
  };
  return { latents, timesteps, afterStep };
}
