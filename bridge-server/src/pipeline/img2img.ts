/**
 * Image to image with diffusers' StableDiffusionImg2ImgPipeline semantics: the source at
 * generation size through the VAE encoder × scaling_factor, the schedule cut to the last
 * min(int(steps · strength), steps) steps, noise added with add_noise at the first kept timestep.
 * strength 1 starts from pure noise exactly as txt2img (same seed, same image); a strength too
 * low for one step returns the source unchanged. Results come back at the source's size.
 */
import { assertRgba, boundsOfExtent, createMask, resizeRgba, rgbaToChw, type RgbaImage } from '../image/index.js';
import { checkImageLimit, modelInput, planEditRegion } from './edit-region.js';
import { keptSteps, limitsOf, paramsAtSize, resolveStrength, unchangedResult, validateEditParams } from './edit-run.js';
import { imageLatents } from './image-latents.js';
import { inpaintLoopInput, inpaintsWithUnet } from './inpaint-latents.js';
import type { LoadedModel } from './loaded-model.js';
import { initialNoise } from './noise.js';
import type { GenerateParams } from './params.js';
import { denoiseAndDecode, finishRun, noiseLatents, startRun, type LoopInput } from './run-core.js';
import { img2imgTimesteps } from './schedulers/index.js';
import type { GenerateResult, RunOptions } from './txt2img.js';

export interface Img2ImgRequest extends GenerateParams {
  image: RgbaImage;
  /** 0 … 1, default 0.75. */
  strength?: number;
}

export const DEFAULT_IMG2IMG_STRENGTH = 0.75;

export async function img2img(model: LoadedModel, request: Img2ImgRequest, options: RunOptions = {}): Promise<GenerateResult> {
  const started = performance.now();
  const { image } = request;
  assertRgba(image, 'image');
  const limits = limitsOf(options);
  checkImageLimit(image, limits.maxImagePixels);
  const strength = resolveStrength(request.strength, DEFAULT_IMG2IMG_STRENGTH);
  const first = validateEditParams(model, request, options);
  const region = planEditRegion(image, boundsOfExtent(image), 0, request, model.info, limits);
  const params = paramsAtSize(model, request, first, region.modelSize, options);
  if (keptSteps(params.steps, strength) === 0) return unchangedResult(model, params, image, started);

  const run = await startRun(model, params, started);
  const { scheduler, shape } = run;
  let loop: LoopInput;
  if (inpaintsWithUnet(run)) {
    // An inpainting UNet gets the image as its start and "repaint everything" as its mask.
    const input = await modelInput(image, region);
    const everything = createMask(input.width, input.height, 255);
    loop = await inpaintLoopInput(run, input, everything, strength);
  } else if (strength === 1) {
    // diffusers' inpaint pipeline calls this is_strength_max: pure noise, the image is not needed.
    scheduler.setTimesteps(params.steps);
    loop = { latents: noiseLatents(run), timesteps: scheduler.timesteps };
  } else {
    const timesteps = img2imgTimesteps(scheduler, params.steps, strength).timesteps;
    const input = await modelInput(image, region);
    const init = await imageLatents(model, rgbaToChw(input), input.width, input.height, params, run.noise);
    loop = { latents: scheduler.addNoise(init, initialNoise(run.noise, shape, params), timesteps[0] as number), timesteps };
  }
  const generated = await denoiseAndDecode(run, loop, options);
  const images = await Promise.all(generated.map((g) => resizeRgba(g, image.width, image.height, 'lanczos3')));
  return finishRun(run, images);
}
