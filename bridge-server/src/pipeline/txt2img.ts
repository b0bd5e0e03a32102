import type { RgbaImage } from '../image/index.js';
import { denoise, throwIfAborted, type CfgMode, type StepInfo } from './denoise.js';
import type { LoadedModel } from './loaded-model.js';
import { BatchNoise } from './noise.js';
import { resolveParams, DEFAULT_LIMITS, type GenerateParams, type PipelineLimits, type ResolvedParams } from './params.js';
import { encodePromptPair } from './prompt-encoding.js';
import { createScheduler } from './schedulers/index.js';
import type { Scheduler } from './schedulers/types.js';
import { decodeLatents } from './vae.js';

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
}

/** The scheduler named by the caller, configured by the model's own scheduler_config.json. */
export function schedulerFor(model: LoadedModel, name: string | undefined): Scheduler {
  const config = model.info.schedulerConfig;
  const fallback = typeof config['_class_name'] === 'string' ? config['_class_name'] : 'PNDMScheduler';
  return createScheduler(name ?? fallback, config);
}

export function imageSeeds(params: ResolvedParams): number[] {
  return Array.from({ length: params.batch }, (_, i) => (params.seedMode === 'per-image' ? params.seed + i : params.seed));
}

/** Text to image, step for step as diffusers' StableDiffusionPipeline. */
export async function txt2img(model: LoadedModel, request: GenerateParams, options: RunOptions = {}): Promise<GenerateResult> {
  const started = performance.now();
  const params = resolveParams(request, model.info.nativeSize, options.limits ?? DEFAULT_LIMITS);
  const scheduler = schedulerFor(model, params.scheduler);
  scheduler.setTimesteps(params.steps);

  const withCfg = params.guidance > 1;
  const { cond, uncond } = await encodePromptPair(
    model.tokenizer,
    await model.textEncoder(),
    params.prompt,
    params.negative,
    params.longPrompt,
    withCfg,
  );
  const encoded = performance.now();

  const shape = [params.batch, 4, params.height / 8, params.width / 8] as const;
  const noise = new BatchNoise(params.seed, params.batch, params.seedMode);
  const latents = noise.randn(shape);
  const sigma = Math.fround(scheduler.initNoiseSigma);
  for (let i = 0; i < latents.length; i++) latents[i] = (latents[i] as number) * sigma;

  const final = await denoise({
    unet: await model.unet(),
    scheduler,
    timesteps: scheduler.timesteps,
    latents,
    shape,
    cond,
    uncond,
    guidance: params.guidance,
    noise,
    ...(options.cfgMode ? { cfgMode: options.cfgMode } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onStep: (info) => options.onProgress?.({ ...info, shape, elapsedMs: performance.now() - started }),
  });
  const denoised = performance.now();
  throwIfAborted(options.signal);
  const images = await decodeLatents(await model.vaeDecoder(), final, shape, model.info.scalingFactor);
  const seeds = imageSeeds(params);
  const done = performance.now();
  return {
    images: images.map((image, index) => ({ image, index, seed: seeds[index] as number })),
    params,
    scheduler: scheduler.className,
    timings: { totalMs: done - started, encodeMs: encoded - started, denoiseMs: denoised - encoded, decodeMs: done - denoised },
  };
}
