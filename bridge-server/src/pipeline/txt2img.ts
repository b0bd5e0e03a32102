import type { RgbaImage } from '../image/index.js';
import type { CfgMode, StepInfo } from './denoise.js';
import type { LoadedModel } from './loaded-model.js';
import { resolveParams, DEFAULT_LIMITS, type GenerateParams, type PipelineLimits, type ResolvedParams } from './params.js';
import { fullRepaintChannels } from './inpaint-latents.js';
import { denoiseAndDecode, finishRun, noiseLatents, startRun } from './run-core.js';

export interface ProgressEvent extends StepInfo {
  /** [batch, 4, h, w]; lets the caller decode a cheap preview. */
  shape: readonly [number, number, number, number];
  elapsedMs: number;
}

export interface RunOptions {
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  limits?: PipelineLimits;
  cfgMode?: CfgMode;
}

export interface GeneratedImage {
  image: RgbaImage;
  /** The seed that reproduces this image alone (per-image mode) or the batch's seed (shared mode). */
  seed: number;
  index: number;
}

export interface GenerateResult {
  images: GeneratedImage[];
  params: ResolvedParams;
  scheduler: string;
  timings: { totalMs: number; encodeMs: number; denoiseMs: number; decodeMs: number };
  /** Edit modes: the denoising strength used (the request's or the mode's default). */
  strength?: number;
  /** Things the user should know about this result, e.g. a long prompt cut for a fixed-length UNet. */
  warnings?: string[];
}

export { imageSeeds, schedulerFor } from './run-core.js';

/**
 * Text to image, step for step as diffusers' StableDiffusionPipeline (prompt weighting and mixing
 * in conditioning.ts, the variation seed in noise.ts' initialNoise).
 */
export async function txt2img(model: LoadedModel, request: GenerateParams, options: RunOptions = {}): Promise<GenerateResult> {
  const started = performance.now();
  const params = resolveParams(request, model.info.nativeSize, options.limits ?? DEFAULT_LIMITS);
  const run = await startRun(model, params, started);
  run.scheduler.setTimesteps(params.steps);
  const latents = noiseLatents(run);
  // An inpainting UNet (9 channels) makes a whole image when told that everything is masked.
  const extraChannels = await fullRepaintChannels(run);
  const images = await denoiseAndDecode(run, { latents, timesteps: run.scheduler.timesteps, ...(extraChannels ? { extraChannels } : {}) }, options);
  return finishRun(run, images);
}
