/**
 * What txt2img, img2img and the SD upscale script share: A1111's seeds, its per-image noise, the
 * VAE both ways, the step counting of its img2img, and the run context a job hands to them.
 */
import type { RgbaImage } from '../../image/index.js';
import { imageLatents } from '../../pipeline/image-latents.js';
import type { LoadedModel } from '../../pipeline/loaded-model.js';
import { a1111InitialNoise, BatchNoise, type SeedResize } from '../../pipeline/noise.js';
import type { PipelineLimits, ResolvedParams } from '../../pipeline/params.js';
import type { NoiseGenerator } from '../../pipeline/schedulers/index.js';
import { decodeLatents } from '../../pipeline/vae.js';
import { TorchGenerator } from '../../random/torch-generator.js';
import { httpException } from '../errors.js';
import { optBool, optNumber, type OptionsView } from '../options.js';
import type { ResolvedSampler } from '../samplers.js';
import type { A1111State } from '../state.js';
import type { X0Tracker, LatentShape } from './sampling.js';

/** What a job hands to the processing functions. */
export interface RunContext {
  model: LoadedModel;
  /** The model as A1111 names it in infotexts (file name without extension) and its short hash. */
  modelName: string;
  modelHash: string | undefined;
  options: OptionsView;
  state: A1111State;
  /** The job's own signal (cancelled, server stopping): aborts everything, unlike /interrupt. */
  signal: AbortSignal;
  limits: PipelineLimits;
  /** Fields the job adds to every infotext (Lora hashes, TI hashes), before Version as A1111 orders them. */
  extraInfo?: Readonly<Record<string, string>>;
  /** Counts finished UNet passes, for progress across passes. */
  onPreview?: (latents: Float32Array, shape: LatentShape, step: number) => void;
}

/** processing.get_fixed_seed: -1 (or none) draws a seed in [0, 4294967294). */
export function fixedSeed(seed: number | undefined): number {
  if (seed === undefined || seed === -1) return Math.floor(Math.random() * 4294967294);
  return seed;
}

/** process_images_inner's all_seeds / all_subseeds: with a variation every image keeps the seed. */
export function allSeeds(seed: number, subseed: number, subseedStrength: number, count: number): { seeds: number[]; subseeds: number[] } {
  return {
    seeds: Array.from({ length: count }, (_, x) => seed + (subseedStrength === 0 ? x : 0)),
    subseeds: Array.from({ length: count }, (_, x) => subseed + x),
  };
}

export interface NoiseRequest {
  seeds: readonly number[];
  subseeds: readonly number[];
  subseedStrength: number;
  seedResizeFrom: SeedResize | undefined;
}

/**
 * ImageRNG for one batch: per-image generators, the first draw (variation, seed resize), then the
 * eta_noise_seed_delta reseed for the sampler's later draws.
 */
export function imageRng(shape: LatentShape, req: NoiseRequest, options: OptionsView): { noise: BatchNoise; first: Float32Array } {
  const noise = BatchNoise.forSeeds(req.seeds);
  const first = a1111InitialNoise(noise, shape, { subseeds: req.subseeds, strength: req.subseedStrength, resizeFrom: req.seedResizeFrom });
  const ensd = Math.trunc(optNumber(options, 'eta_noise_seed_delta'));
  if (ensd !== 0) noise.reseed(req.seeds.map((s) => s + ensd));
  return { noise, first };
}

/** A ResolvedParams carrying only what imageLatents reads (batch and seed mode). */
function encodeParams(batch: number): ResolvedParams {
  return {
    prompt: '',
    negative: '',
    steps: 1,
    guidance: 1,
    scheduler: undefined,
    seed: 0,
    width: 8,
    height: 8,
    batch,
    seedMode: 'per-image',
    longPrompt: 'chunk',
    variation: undefined,
    seedResizeFrom: undefined,
    mixMode: 'embeddings',
  };
}

/**
 * Images (3×H×W in [-1, 1] each) → scaled latents, one encode per image. An encoder that returns a
 * distribution samples it from its own generator (A1111 samples it from torch's global one), so
 * the images' noise streams stay as A1111 has them.
 */
export async function encodeImages(model: LoadedModel, chws: readonly Float32Array[], width: number, height: number, seed: number): Promise<Float32Array> {
  const per = 4 * (height / 8) * (width / 8);
  const out = new Float32Array(per * chws.length);
  const gen: NoiseGenerator = new TorchGenerator(seed);
  for (const [i, chw] of chws.entries()) {
    out.set((await imageLatents(model, chw, width, height, encodeParams(1), gen)).subarray(0, per), i * per);
  }
  return out;
}

export async function decode(model: LoadedModel, latents: Float32Array, shape: LatentShape): Promise<RgbaImage[]> {
  return model.decoding(undefined, (decoder, tiles) => decodeLatents(decoder, latents, shape, model.info.scalingFactor, tiles));
}

/**
 * sd_samplers_common.setup_img2img_steps and the k-diffusion sigma slice: the schedule A1111 makes
 * for an img2img pass and the index its sampling starts at. With `fixedSteps` (hires fix, or the
 * img2img_fix_steps setting) exactly that many steps run on a longer schedule; otherwise
 * int(min(denoise, 0.999)·steps) + 1 steps of `steps` run.
 */
export function img2imgSchedule(scheduler: X0Tracker, steps: number, denoise: number, fixedSteps: number | undefined): { timesteps: number[]; start: number } {
  let total: number;
  let tEnc: number;
  if (fixedSteps !== undefined) {
    total = denoise > 0 ? Math.trunc(fixedSteps / Math.min(denoise, 0.999)) : 0;
    tEnc = fixedSteps - 1;
  } else {
    total = steps;
    tEnc = Math.trunc(Math.min(denoise, 0.999) * steps);
  }
  if (total < 1) return { timesteps: [], start: 0 };
  scheduler.setTimesteps(total);
  const startStep = Math.max(0, total - tEnc - 1);
  const start = startStep * scheduler.order;
  scheduler.setBeginIndex(start);
  return { timesteps: scheduler.timesteps.slice(start), start };
}

/** Steps A1111's prompt schedules count in: the sampler's total model calls for `steps`. */
export function scheduleSteps(sampler: ResolvedSampler, steps: number): number {
  return sampler.sampler.options['second_order'] === true ? steps * 2 : steps;
}

/** The checks A1111 does not need but a server does: sizes, steps and batch within its limits. */
export function checkRunLimits(limits: PipelineLimits, width: number, height: number, steps: number, batch: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 8 || height < 8) {
    throw httpException(422, `width×height: ${width}×${height} is too small; the latent image needs at least 8×8 pixels`);
  }
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxPixels) {
    throw httpException(413, `width×height: ${width}×${height} is over this server's limit of ${limits.maxPixels} pixels (sides up to ${limits.maxSide})`);
  }
  if (!Number.isInteger(steps) || steps < 1 || steps > limits.maxSteps) throw httpException(422, `steps: must be from 1 to ${limits.maxSteps}, got ${steps}`);
  if (!Number.isInteger(batch) || batch < 1 || batch > limits.maxBatch) throw httpException(422, `batch_size: must be from 1 to ${limits.maxBatch}, got ${batch}`);
}

/** The live-preview cadence A1111's settings ask for (show_progress_every_n_steps, live_previews_enable). */
export function previewEvery(options: OptionsView): number | undefined {
  if (!optBool(options, 'live_previews_enable')) return undefined;
  const n = Math.trunc(optNumber(options, 'show_progress_every_n_steps'));
  return n > 0 ? n : undefined;
}
