/**
 * The steps every mode shares: prompt encoding, the scheduler, the generator, the denoising loop
 * with progress, and decoding; txt2img and the edit modes differ only in their starting latents,
 * the timesteps they keep and what happens to the pixels afterwards.
 */
import type { RgbaImage, RgbImage } from '../image/index.js';
import { denoise, throwIfAborted, usesCfg } from './denoise.js';
import type { LoadedModel } from './loaded-model.js';
import { encodeConditioning, type WeightedEmbedding } from './conditioning.js';
import { BatchNoise, initialNoise } from './noise.js';
import type { ResolvedParams } from './params.js';
import type { PromptEmbedding } from './prompt-encoding.js';
import { createScheduler } from './schedulers/index.js';
import type { Scheduler } from './schedulers/types.js';
import { TextStack } from './text-stack.js';
import type { GenerateResult, RunOptions } from './txt2img.js';
import { decodeLatents, decodeLatentsRgb } from './vae.js';

/** The scheduler named by the caller, configured by the model's own scheduler_config.json. */
export function schedulerFor(model: LoadedModel, name: string | undefined): Scheduler {
  const config = model.info.schedulerConfig;
  const fallback = typeof config['_class_name'] === 'string' ? config['_class_name'] : 'PNDMScheduler';
  return createScheduler(name ?? fallback, config);
}

export function imageSeeds(params: ResolvedParams): number[] {
  return Array.from({ length: params.batch }, (_, i) => (params.seedMode === 'per-image' ? params.seed + i : params.seed));
}

export type LatentShape = readonly [number, number, number, number];

export interface PromptRun {
  readonly model: LoadedModel;
  readonly params: ResolvedParams;
  readonly scheduler: Scheduler;
  readonly cond: PromptEmbedding;
  readonly uncond: PromptEmbedding | undefined;
  /** Prompts mixed in 'noise' mode, predicted one by one. */
  readonly mix: readonly WeightedEmbedding[] | undefined;
  readonly noise: BatchNoise;
  readonly shape: LatentShape;
  /** SDXL's size conditioning, undefined for UNets that take none. */
  readonly timeIds?: Float32Array;
  readonly started: number;
  /** performance.now() marks: prompt (and image) encoding done, denoising done. */
  marks: { encoded: number; denoised: number };
  /** Told to the user with the result (GenerateResult.warnings). */
  readonly warnings: readonly string[];
}

/** Scheduler, generator and prompt embeddings for params.width × params.height. */
export async function startRun(model: LoadedModel, params: ResolvedParams, started = performance.now()): Promise<PromptRun> {
  const scheduler = schedulerFor(model, params.scheduler);
  const { cond, uncond, mix, warnings } = await encodeConditioning(await TextStack.of(model), params, usesCfg(await model.unet(), params.guidance));
  const shape = [params.batch, 4, params.height / 8, params.width / 8] as const;
  const noise = new BatchNoise(params.seed, params.batch, params.seedMode);
  const now = performance.now();
  const timeIds = sizeConditioning(model, params.width, params.height);
  return { model, params, scheduler, cond, uncond, mix, noise, shape, timeIds, started, marks: { encoded: now, denoised: now }, warnings };
}

/**
 * SDXL's add_time_ids as diffusers builds them by default: original size = target size = the image
 * size, crop top-left (0, 0). Undefined for models without size conditioning.
 */
export function sizeConditioning(model: LoadedModel, width: number, height: number): Float32Array | undefined {
  if (model.info.family !== 'sdxl') return undefined;
  return Float32Array.from([height, width, 0, 0, height, width]);
}

/** txt2img's starting point: the initial noise (with its variation) · init_noise_sigma (call after setTimesteps). */
export function noiseLatents(run: PromptRun): Float32Array {
  const latents = initialNoise(run.noise, run.shape, run.params);
  const sigma = Math.fround(run.scheduler.initNoiseSigma);
  for (let i = 0; i < latents.length; i++) latents[i] = (latents[i] as number) * sigma;
  return latents;
}

export interface LoopInput {
  latents: Float32Array;
  timesteps: readonly number[];
  extraChannels?: Float32Array;
  afterStep?: (latents: Float32Array, stepIndex: number) => Float32Array;
}

/** The denoising loop with progress and cancellation, then the VAE decoder; sets the marks. */
export async function denoiseAndDecode(run: PromptRun, input: LoopInput, options: RunOptions): Promise<RgbaImage[]> {
  const final = await denoiseRun(run, input, options);
  return run.model.decoding(options.signal, (decoder, tiles) => decodeLatents(decoder, final, run.shape, run.model.info.scalingFactor, tiles));
}

/** denoiseAndDecode with the images as packed RGB (the edits scale them straight back). */
export async function denoiseAndDecodeRgb(run: PromptRun, input: LoopInput, options: RunOptions): Promise<RgbImage[]> {
  const final = await denoiseRun(run, input, options);
  return run.model.decoding(options.signal, (decoder, tiles) => decodeLatentsRgb(decoder, final, run.shape, run.model.info.scalingFactor, tiles));
}

async function denoiseRun(run: PromptRun, input: LoopInput, options: RunOptions): Promise<Float32Array> {
  const { model, params, shape } = run;
  run.marks.encoded = performance.now();
  const final = await denoise({
    unet: await model.unet(),
    scheduler: run.scheduler,
    timesteps: input.timesteps,
    latents: input.latents,
    shape,
    cond: run.cond,
    uncond: run.uncond,
    guidance: params.guidance,
    noise: run.noise,
    ...(run.mix ? { mix: run.mix } : {}),
    ...(run.timeIds ? { timeIds: run.timeIds } : {}),
    ...(input.extraChannels ? { extraChannels: input.extraChannels } : {}),
    ...(input.afterStep ? { afterStep: input.afterStep } : {}),
    ...(options.cfgMode ? { cfgMode: options.cfgMode } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onStep: (info) => options.onProgress?.({ ...info, shape, elapsedMs: performance.now() - run.started }),
  });
  run.marks.denoised = performance.now();
  throwIfAborted(options.signal);
  return final;
}

/** The result record: one image per seed, timings from the run's marks. */
export function finishRun(run: PromptRun, images: readonly RgbaImage[]): GenerateResult {
  const seeds = imageSeeds(run.params);
  const done = performance.now();
  const { started, marks } = run;
  return {
    images: images.map((image, index) => ({ image, index, seed: seeds[index] as number })),
    params: run.params,
    scheduler: run.scheduler.className,
    timings: {
      totalMs: done - started,
      encodeMs: marks.encoded - started,
      denoiseMs: marks.denoised - marks.encoded,
      decodeMs: done - marks.denoised,
    },
    ...(run.warnings.length > 0 ? { warnings: [...run.warnings] } : {}),
  };
}
