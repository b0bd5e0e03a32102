/**
 * StableDiffusionProcessingImg2Img: init images flattened and resized (resize_mode), encoded, noised
 * to A1111's starting sigma and denoised; with a mask, A1111's inpainting: binary mask, invert,
 * cv2 blur, "only masked" crop (inpaint_full_res + padding) or the whole picture, masked content
 * (0 fill, 1 original, 2 latent noise, 3 latent nothing), the kept latents held to the source at
 * every step and after the last, and the result composited over the source through the blurred
 * mask, so pixels the mask does not touch are the source's.
 */
import type { RgbaImage } from '../../image/index.js';
import { httpException } from '../errors.js';
import { GenerationParams, pyFloat } from '../infotext.js';
import { optBool, optNumber, optString } from '../options.js';
import { allSeeds, checkRunLimits, decode, encodeImages, fixedSeed, img2imgSchedule, imageRng, scheduleSteps, type RunContext } from './common.js';
import { ConditioningCache, planConditioning } from './conditioning-plan.js';
import { cropImage, flatten, parseColour, resizeImage } from './image-ops.js';
import { applyOverlay, latentMask, nearestLatentMask, planMask } from './inpaint-mask.js';
import { resizeLatents } from './latent-resize.js';
import { fillMasked } from './masking.js';
import type { CommonParams } from './params.js';
import { inpaintingChannels, inpaintingUnet, schedulerOf, statefulPass, toChw } from './passes.js';
import { createInfotext, processedJs, type Processed, type ProcessingRecord } from './processed.js';
import type { LatentShape } from './sampling.js';

export interface Img2ImgParams {
  initImages: RgbaImage[];
  mask: RgbaImage | undefined;
  resizeMode: number;
  denoisingStrength: number;
  maskBlurX: number;
  maskBlurY: number;
  maskRound: boolean;
  inpaintingFill: number;
  inpaintFullRes: boolean;
  inpaintFullResPadding: number;
  inpaintingMaskInvert: boolean;
  initialNoiseMultiplier: number | undefined;
}

export async function runImg2img(ctx: RunContext, c: CommonParams, a: Img2ImgParams, scriptExtra?: (extra: GenerationParams) => void): Promise<Processed> {
  const { model, state, options } = ctx;
  const width = Math.floor(c.width / 8) * 8;
  const height = Math.floor(c.height / 8) * 8;
  if (a.initImages.length === 0) throw httpException(404, 'Init image not found');
  let batchSize = c.batchSize;
  if (a.initImages.length > 1) {
    if (a.initImages.length > batchSize) throw httpException(500, `bad number of images passed: ${a.initImages.length}; expecting ${batchSize} or less`);
    batchSize = a.initImages.length;
  }
  checkRunLimits(ctx.limits, width, height, c.steps, batchSize);
  const extra = new GenerationParams();
  scriptExtra?.(extra);
  extra.set('Denoising strength', pyFloat(a.denoisingStrength));
  const plan = await planMask(a, width, height, extra);
  const background = parseColour(optString(options, 'img2img_background_color'));
  const upscaler = optString(options, 'upscaler_for_img2img') || undefined;

  const sources: RgbaImage[] = [];
  const processing: RgbaImage[] = [];
  for (const init of a.initImages) {
    let image = flatten(init, background);
    if (plan?.crop === undefined && a.resizeMode !== 3) image = await resizeImage(a.resizeMode, image, width, height, upscaler);
    // "Just resize (latent upscale)" encodes the image at its own size (in whole latent cells).
    if (plan?.crop === undefined && a.resizeMode === 3 && (image.width % 8 !== 0 || image.height % 8 !== 0)) {
      image = await resizeImage(0, image, Math.max(8, image.width - (image.width % 8)), Math.max(8, image.height - (image.height % 8)));
    }
    sources.push(image);
    if (plan?.crop !== undefined) image = await resizeImage(2, cropImage(image, ...plan.crop), width, height, upscaler);
    if (plan !== undefined && a.inpaintingFill !== 1) image = fillMasked(image, plan.imageMask);
    processing.push(image);
  }
  if (plan !== undefined && a.inpaintingFill === 0) extra.set('Masked content', 'fill');
  const encW = processing[0]?.width ?? width;
  const encH = processing[0]?.height ?? height;
  const encoded = await encodeImages(model, processing.map(toChw), encW, encH, fixedSeed(c.seed));
  const per = 4 * (height / 8) * (width / 8);
  let single = encoded;
  if (a.resizeMode === 3 && (encW !== width || encH !== height)) {
    single = resizeLatents(encoded, [processing.length, 4, Math.floor(encH / 8), Math.floor(encW / 8)], height / 8, width / 8, { mode: 'bilinear', antialias: false });
  }
  const initLatent = new Float32Array(per * batchSize);
  for (let b = 0; b < batchSize; b++) initLatent.set(single.subarray((processing.length === 1 ? 0 : b) * per, ((processing.length === 1 ? 0 : b) + 1) * per), b * per);

  const count = batchSize * c.nIter;
  const seed = fixedSeed(c.seed);
  const subseed = fixedSeed(c.subseed);
  const { seeds, subseeds } = allSeeds(seed, subseed, c.subseedStrength, count);
  const shape: LatentShape = [batchSize, 4, height / 8, width / 8];
  const plane = (height / 8) * (width / 8);
  let nmask: Float32Array | undefined;
  if (plan !== undefined) {
    nmask = await latentMask(plan.imageMask, width / 8, height / 8, a.maskRound);
    if (a.inpaintingFill === 2 || a.inpaintingFill === 3) {
      const fillNoise = a.inpaintingFill === 2 ? imageRng(shape, { seeds: seeds.slice(0, batchSize), subseeds: [], subseedStrength: 0, seedResizeFrom: undefined }, options).first : undefined;
      for (let i = 0; i < initLatent.length; i++) {
        const m = nmask[i % plane] as number;
        initLatent[i] = (initLatent[i] as number) * (1 - m) + (fillNoise ? (fillNoise[i] as number) * m : 0);
      }
      extra.set('Masked content', a.inpaintingFill === 2 ? 'latent noise' : 'latent nothing');
    }
  }
  const multiplier = a.initialNoiseMultiplier ?? optNumber(options, 'initial_noise_multiplier');
  const nine = inpaintingUnet(model);
  const maskWeight = optNumber(options, 'inpainting_mask_weight');
  let extraChannels: Float32Array | undefined;
  if (nine) {
    const cond = plan?.imageMask;
    const masked = processing.map((img) => {
      const chw = toChw(img);
      if (cond === undefined) return chw.fill(0);
      const n = img.width * img.height;
      for (let i = 0; i < n; i++) {
        const m = Math.round((cond.data[i] as number) / 255);
        for (let k = 0; k < 3; k++) chw[k * n + i] = (chw[k * n + i] as number) * (1 - maskWeight * m);
      }
      return chw;
    });
    const latentCond = cond === undefined ? undefined : nearestLatentMask(cond, width / 8, height / 8);
    extraChannels = await inpaintingChannels(model, shape, masked, latentCond, seed);
  }

  const p: ProcessingRecord = {
    prompt: c.rawPrompt,
    negative: c.rawNegative,
    styles: c.styleNames,
    allPrompts: Array<string>(count).fill(c.prompt),
    allNegativePrompts: Array<string>(count).fill(c.negative),
    allSeeds: seeds,
    allSubseeds: subseeds,
    subseedStrength: c.subseedStrength,
    seedResizeFromW: c.seedResizeFromW,
    seedResizeFromH: c.seedResizeFromH,
    sampler: c.sampler,
    steps: c.steps,
    cfgScale: c.cfgScale,
    width: c.width,
    height: c.height,
    batchSize,
    tiling: c.tiling,
    denoisingStrength: a.denoisingStrength,
    extra,
    inpaintingConditioning: nine,
  };
  if (c.sampler.schedule !== 'automatic') extra.set('Schedule type', c.sampler.scheduleLabel);
  if (c.etaExtra !== undefined) extra.set('Eta', pyFloat(c.etaExtra));
  if (multiplier !== 1) extra.set('Noise multiplier', pyFloat(multiplier));

  if (state.jobCount === -1) state.jobCount = c.nIter;
  const conds = new ConditioningCache(model);
  const images: RgbaImage[] = [];
  const infotexts: string[] = [];
  const fixed = optBool(options, 'img2img_fix_steps') ? c.steps : undefined;
  for (let n = 0; n < c.nIter; n++) {
    if (state.skipped) state.skipped = false;
    if (state.interrupted) break;
    const batchSeeds = seeds.slice(n * batchSize, (n + 1) * batchSize);
    const batchSubseeds = subseeds.slice(n * batchSize, (n + 1) * batchSize);
    const rng = imageRng(shape, { seeds: batchSeeds, subseeds: batchSubseeds, subseedStrength: c.subseedStrength, seedResizeFrom: c.seedResize }, options);
    const noise = multiplier === 1 ? rng.first : rng.first.map((v) => v * multiplier);
    const scheduler = schedulerOf(model, c.run);
    const { timesteps } = img2imgSchedule(scheduler, c.steps, a.denoisingStrength, fixed);
    let latents = timesteps.length > 0 ? scheduler.addNoise(initLatent, noise, timesteps[0] as number) : initLatent.slice();
    const m = nmask;
    const afterStep =
      m === undefined
        ? undefined
        : (current: Float32Array, i: number): Float32Array => {
            const next = timesteps[i + 1];
            const kept = next === undefined ? initLatent : scheduler.addNoise(initLatent, noise, next);
            for (let k = 0; k < current.length; k++) {
              const r = m[k % plane] as number;
              current[k] = (kept[k] as number) * (1 - r) + (current[k] as number) * r;
            }
            return current;
          };
    if (timesteps.length > 0) {
      const segments = planConditioning(c.clip?.prompt ?? c.prompt, c.clip?.negative ?? c.negative, c.cfgScale, timesteps.length, { steps: scheduleSteps(c.sampler, c.steps) });
      const res = await statefulPass({ ctx, scheduler, timesteps, latents, shape, noise: rng.noise, segments, conds, extraChannels, afterStep });
      latents = res.latents;
    }
    if (m !== undefined) {
      for (let k = 0; k < latents.length; k++) {
        const r = m[k % plane] as number;
        latents[k] = (latents[k] as number) * r + (initLatent[k] as number) * (1 - r);
      }
    }
    const decoded = await decode(model, latents, shape);
    for (const [i, img] of decoded.entries()) {
      const source = sources[a.initImages.length === 1 ? 0 : i] as RgbaImage;
      images.push(plan === undefined ? img : await applyOverlay(img, source, plan));
      infotexts.push(createInfotext(p, ctx, n * batchSize + i));
    }
    state.nextjob();
  }
  if (infotexts.length === 0) infotexts.push(createInfotext(p, ctx, 0));
  return { images, infotexts, js: processedJs(p, ctx, infotexts) };
}

