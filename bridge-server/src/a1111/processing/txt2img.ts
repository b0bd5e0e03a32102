/**
 * StableDiffusionProcessingTxt2Img: n_iter batches of batch_size images, each batch's noise from
 * A1111's ImageRNG, and the hires fix: the first pass at width×height, upscaled in latent space
 * ("Latent …" modes, torch's interpolate) or as images (Lanczos, Nearest, None) and encoded again,
 * cropped to the target, then an img2img pass of hr_second_pass_steps (or steps) at
 * denoising_strength with fresh noise from the same seeds, hr_prompt and hr_sampler_name.
 */
import { httpException, pythonError } from '../errors.js';
import { GenerationParams, pyFloat, pyInt } from '../infotext.js';
import { resolveSampler, type ResolvedSampler } from '../samplers.js';
import { allSeeds, checkRunLimits, decode, encodeImages, fixedSeed, img2imgSchedule, imageRng, scheduleSteps, type RunContext } from './common.js';
import { ConditioningCache, planConditioning } from './conditioning-plan.js';
import { IMAGE_UPSCALERS, resizeImage } from './image-ops.js';
import { LATENT_UPSCALE_DEFAULT, LATENT_UPSCALE_MODES, resizeLatents, type LatentUpscaleMode } from './latent-resize.js';
import type { CommonParams } from './params.js';
import { inpaintingChannels, inpaintingUnet, schedulerOf, statefulPass, toChw } from './passes.js';
import { createInfotext, processedJs, type Processed, type ProcessingRecord } from './processed.js';
import type { LatentShape } from './sampling.js';
import type { RgbaImage } from '../../image/index.js';

export interface HiresParams {
  enabled: boolean;
  denoisingStrength: number;
  scale: number;
  upscaler: string | undefined;
  secondPassSteps: number;
  resizeX: number;
  resizeY: number;
  sampler: ResolvedSampler | undefined;
  /** The hr_sampler_name as sent (for "Hires sampler"). */
  samplerName: string | undefined;
  prompt: string;
  negative: string;
}

/** Checks the hires fields before queueing (an unknown upscaler is A1111's plain Exception). */
export function checkHires(hr: HiresParams): void {
  if (!hr.enabled) return;
  const u = hr.upscaler;
  if (u !== undefined && LATENT_UPSCALE_MODES[u] === undefined && !(IMAGE_UPSCALERS as readonly string[]).includes(u)) {
    throw pythonError('Exception', `could not find upscaler named ${u}`);
  }
  if (!(hr.scale > 0) && hr.resizeX === 0 && hr.resizeY === 0) throw httpException(422, `hr_scale: must be above 0, got ${hr.scale}`);
}

export function hiresSampler(name: string | undefined, scheduler: string | undefined, first: ResolvedSampler): ResolvedSampler | undefined {
  if ((name === undefined || name === '' || name === 'Use same sampler') && (scheduler === undefined || scheduler === '' || scheduler === 'Use same scheduler')) return undefined;
  const samplerName = name === undefined || name === '' || name === 'Use same sampler' ? first.sampler.name : name;
  const sched = scheduler === undefined || scheduler === '' || scheduler === 'Use same scheduler' ? undefined : scheduler;
  return resolveSampler(samplerName, sched);
}

/** calculate_target_resolution: the upscale target and the latent crop for a given hr_resize. */
function targetResolution(w: number, h: number, hr: HiresParams, extra: GenerationParams): { toX: number; toY: number; truncX: number; truncY: number } {
  if (hr.resizeX === 0 && hr.resizeY === 0) {
    extra.set('Hires upscale', pyFloat(hr.scale));
    return { toX: Math.trunc(w * hr.scale), toY: Math.trunc(h * hr.scale), truncX: 0, truncY: 0 };
  }
  extra.set('Hires resize', `${hr.resizeX}x${hr.resizeY}`);
  if (hr.resizeY === 0) return { toX: hr.resizeX, toY: Math.floor((hr.resizeX * h) / w), truncX: 0, truncY: 0 };
  if (hr.resizeX === 0) return { toX: Math.floor((hr.resizeY * w) / h), toY: hr.resizeY, truncX: 0, truncY: 0 };
  let toX: number;
  let toY: number;
  if (w / h < hr.resizeX / hr.resizeY) {
    toX = hr.resizeX;
    toY = Math.floor((hr.resizeX * h) / w);
  } else {
    toX = Math.floor((hr.resizeY * w) / h);
    toY = hr.resizeY;
  }
  return { toX, toY, truncX: Math.floor((toX - hr.resizeX) / 8), truncY: Math.floor((toY - hr.resizeY) / 8) };
}

/** samples[:, :, ty//2 : H-(ty+1)//2, tx//2 : W-(tx+1)//2] */
function cropLatents(data: Float32Array, shape: LatentShape, tx: number, ty: number): { data: Float32Array; shape: LatentShape } {
  if (tx === 0 && ty === 0) return { data, shape };
  const [n, c, h, w] = shape;
  const y0 = Math.floor(ty / 2);
  const y1 = h - Math.floor((ty + 1) / 2);
  const x0 = Math.floor(tx / 2);
  const x1 = w - Math.floor((tx + 1) / 2);
  const oh = y1 - y0;
  const ow = x1 - x0;
  const out = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < oh; y++) out.set(data.subarray((p * h + y0 + y) * w + x0, (p * h + y0 + y) * w + x1), (p * oh + y) * ow);
  }
  return { data: out, shape: [n, c, oh, ow] };
}

export async function runTxt2img(ctx: RunContext, c: CommonParams, hr: HiresParams): Promise<Processed> {
  const { model, state } = ctx;
  const genW = Math.floor(c.width / 8) * 8;
  const genH = Math.floor(c.height / 8) * 8;
  checkRunLimits(ctx.limits, genW, genH, c.steps, c.batchSize);
  const count = c.batchSize * c.nIter;
  const seed = fixedSeed(c.seed);
  const subseed = fixedSeed(c.subseed);
  const { seeds, subseeds } = allSeeds(seed, subseed, c.subseedStrength, count);
  const extra = new GenerationParams();
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
    batchSize: c.batchSize,
    tiling: c.tiling,
    denoisingStrength: hr.denoisingStrength,
    extra,
    inpaintingConditioning: inpaintingUnet(model),
  };

  let target = { toX: genW, toY: genH, truncX: 0, truncY: 0 };
  const clip = c.clip ?? { prompt: c.prompt, negative: c.negative };
  const hrPrompt = hr.prompt === '' ? c.prompt : hr.prompt;
  const hrNegative = hr.negative === '' ? c.negative : hr.negative;
  // The second pass conditions on the first pass's CLIP text unless a hires prompt was given.
  const hrClip = { prompt: hr.prompt === '' ? clip.prompt : hr.prompt, negative: hr.negative === '' ? clip.negative : hr.negative };
  if (hr.enabled) {
    extra.set('Denoising strength', pyFloat(hr.denoisingStrength));
    if (hr.samplerName !== undefined && hr.samplerName !== c.sampler.sampler.name) extra.set('Hires sampler', hr.samplerName);
    if (hrPrompt !== c.prompt) extra.set('Hires prompt', hrPrompt);
    if (hrNegative !== c.negative) extra.set('Hires negative prompt', hrNegative);
    target = targetResolution(genW, genH, hr, extra);
    if (hr.secondPassSteps) extra.set('Hires steps', pyInt(hr.secondPassSteps));
    if (hr.upscaler !== undefined) extra.set('Hires upscaler', hr.upscaler);
    checkRunLimits(ctx.limits, target.toX, target.toY, hr.secondPassSteps || c.steps, c.batchSize);
  }
  // What the sampler adds when it starts (after the processing's own entries, as in A1111).
  if (c.sampler.schedule !== 'automatic') extra.set('Schedule type', c.sampler.scheduleLabel);
  if (c.etaExtra !== undefined) extra.set('Eta', pyFloat(c.etaExtra));

  if (state.jobCount === -1) state.jobCount = c.nIter;
  if (hr.enabled) state.jobCount *= 2;
  const conds = new ConditioningCache(model);
  const images: RgbaImage[] = [];
  const infotexts: string[] = [];
  for (let n = 0; n < c.nIter; n++) {
    if (state.skipped) state.skipped = false;
    if (state.interrupted) break;
    const batchSeeds = seeds.slice(n * c.batchSize, (n + 1) * c.batchSize);
    const batchSubseeds = subseeds.slice(n * c.batchSize, (n + 1) * c.batchSize);
    const shape: LatentShape = [c.batchSize, 4, genH / 8, genW / 8];
    const rng = imageRng(shape, { seeds: batchSeeds, subseeds: batchSubseeds, subseedStrength: c.subseedStrength, seedResizeFrom: c.seedResize }, ctx.options);
    const scheduler = schedulerOf(model, c.run);
    scheduler.setTimesteps(c.steps);
    const sigma = Math.fround(scheduler.initNoiseSigma);
    const latents = rng.first.map((v) => v * sigma);
    const timesteps = scheduler.timesteps;
    const segments = planConditioning(clip.prompt, clip.negative, c.cfgScale, timesteps.length, { steps: scheduleSteps(c.sampler, c.steps) });
    const nine = inpaintingUnet(model);
    const first = await statefulPass({
      ctx,
      scheduler,
      timesteps,
      latents,
      shape,
      noise: rng.noise,
      segments,
      conds,
      extraChannels: nine ? await inpaintingChannels(model, shape, undefined, undefined, batchSeeds[0] ?? 0) : undefined,
    });
    let out = { data: first.latents, shape };
    if (hr.enabled && !state.interrupted && !state.skipped) {
      state.nextjob();
      out = await hiresPass(ctx, c, hr, target, first.latents, shape, { seeds: batchSeeds, subseeds: batchSubseeds }, conds, hrClip.prompt, hrClip.negative, extra);
    }
    const decoded = await decode(model, out.data, out.shape);
    for (const [i, img] of decoded.entries()) {
      images.push(img);
      infotexts.push(createInfotext(p, ctx, n * c.batchSize + i));
    }
    state.nextjob();
  }
  if (infotexts.length === 0) infotexts.push(createInfotext(p, ctx, 0));
  return { images, infotexts, js: processedJs(p, ctx, infotexts) };
}

async function hiresPass(
  ctx: RunContext,
  c: CommonParams,
  hr: HiresParams,
  target: { toX: number; toY: number; truncX: number; truncY: number },
  samples: Float32Array,
  shape: LatentShape,
  seeds: { seeds: number[]; subseeds: number[] },
  conds: ConditioningCache,
  prompt: string,
  negative: string,
  extra: GenerationParams,
): Promise<{ data: Float32Array; shape: LatentShape }> {
  const { model } = ctx;
  const latentMode: LatentUpscaleMode | undefined = hr.upscaler === undefined ? LATENT_UPSCALE_MODES[LATENT_UPSCALE_DEFAULT] : LATENT_UPSCALE_MODES[hr.upscaler];
  let up: { data: Float32Array; shape: LatentShape };
  const [batch, ch] = shape;
  const outH = Math.floor(target.toY / 8);
  const outW = Math.floor(target.toX / 8);
  if (latentMode !== undefined) {
    up = { data: resizeLatents(samples, shape, outH, outW, latentMode), shape: [batch, ch, outH, outW] };
  } else {
    const decoded = await decode(model, samples, shape);
    const resized = await Promise.all(decoded.map((img) => resizeImage(0, img, target.toX, target.toY, hr.upscaler)));
    const encW = Math.floor(target.toX / 8) * 8;
    const encH = Math.floor(target.toY / 8) * 8;
    const chws = await Promise.all(resized.map(async (img) => toChw(img.width === encW && img.height === encH ? img : await resizeImage(0, img, encW, encH))));
    up = { data: await encodeImages(model, chws, encW, encH, seeds.seeds[0] ?? 0), shape: [batch, ch, encH / 8, encW / 8] };
  }
  const cropped = cropLatents(up.data, up.shape, target.truncX, target.truncY);
  const hrSampler = hr.sampler ?? c.run;
  if (hr.sampler !== undefined && hr.sampler.schedule !== 'automatic' && hr.sampler.scheduleLabel !== extra.get('Schedule type')) {
    extra.set('Hires schedule type', hr.sampler.scheduleLabel);
  }
  const rng = imageRng(cropped.shape, { seeds: seeds.seeds, subseeds: seeds.subseeds, subseedStrength: c.subseedStrength, seedResizeFrom: c.seedResize }, ctx.options);
  const steps = hr.secondPassSteps || c.steps;
  const scheduler = schedulerOf(model, hrSampler);
  const { timesteps } = img2imgSchedule(scheduler, steps, hr.denoisingStrength, steps);
  if (timesteps.length === 0) return cropped;
  const latents = scheduler.addNoise(cropped.data, rng.first, timesteps[0] as number);
  const segments = planConditioning(prompt, negative, c.cfgScale, timesteps.length, { steps: scheduleSteps(hrSampler, steps), hiresOf: scheduleSteps(c.sampler, c.steps) });
  const nine = inpaintingUnet(model);
  const res = await statefulPass({
    ctx,
    scheduler,
    timesteps,
    latents,
    shape: cropped.shape,
    noise: rng.noise,
    segments,
    conds,
    extraChannels: nine ? await inpaintingChannels(model, cropped.shape, undefined, undefined, seeds.seeds[0] ?? 0) : undefined,
  });
  return { data: res.latents, shape: cropped.shape };
}
