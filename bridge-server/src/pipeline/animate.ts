/**
 * Animation frames between two keyframes (prompt and/or seed): frame k of N sits at t = k/(N−1);
 * its text embedding is the lerp of the two prompts' embeddings and its initial noise the slerp of
 * the two seeds' noise. Frame 0 is exactly the txt2img image of the start keyframe; the last frame
 * that of the end keyframe (for non-ancestral schedulers, whose steps draw no fresh noise).
 * With chainStrength, frames after the first are img2img of the previous frame at that strength
 * (the frame's own embedding and noise), which trades independence for temporal coherence.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { rgbaToChw, type RgbaImage } from '../image/index.js';
import { conditioningWindows, encodeConditioning, type ConditioningRequest } from './conditioning.js';
import { throwIfAborted, usesCfg } from './denoise.js';
import { keptSteps } from './edit-run.js';
import { imageLatents } from './image-latents.js';
import type { LoadedModel } from './loaded-model.js';
import { BatchNoise, lerp, slerp } from './noise.js';
import { DEFAULT_LIMITS, resolveParams, type GenerateParams, type ResolvedParams } from './params.js';
import { parsePromptField } from './prompt-syntax.js';
import { denoiseAndDecode, schedulerFor, sizeConditioning, type PromptRun } from './run-core.js';
import { img2imgTimesteps } from './schedulers/index.js';
import type { GeneratedImage, RunOptions } from './txt2img.js';
import { TextStack } from './text-stack.js';

export const MAX_FRAMES = 1000;

export interface AnimationRequest extends GenerateParams {
  /** Number of frames, ≥ 1 (1: the start keyframe only). */
  frames: number;
  /** The last frame's prompt; default: the prompt. */
  toPrompt?: string;
  /** The last frame's seed; default: the seed. */
  toSeed?: number;
  /**
   * Temporal coherence: every frame after the first starts from the previous frame through
   * img2img at this denoising strength (0 < s < 1; lower keeps more of the previous frame).
   */
  chainStrength?: number;
}

export interface AnimationFrame extends GeneratedImage {
  /** Position between the keyframes, 0 … 1. */
  t: number;
}

export interface AnimationResult {
  frames: AnimationFrame[];
  params: ResolvedParams;
  toPrompt: string;
  toSeed: number;
  chainStrength: number | undefined;
  scheduler: string;
  /** encodeMs: the prompts, plus each chained frame's image encode; the rest summed over frames. */
  timings: { totalMs: number; encodeMs: number; denoiseMs: number; decodeMs: number };
  /** As GenerateResult.warnings, for either keyframe's prompt. */
  warnings?: string[];
}

export interface AnimationOptions extends RunOptions {
  /** Called as each frame is finished, so callers can stream layers. */
  onFrame?: (frame: AnimationFrame, total: number) => void;
}

/** Validates the animation-only fields; the rest goes through resolveParams. */
export function resolveAnimation(request: AnimationRequest, nativeSize: number, limits = DEFAULT_LIMITS) {
  const { frames } = request;
  if (typeof frames !== 'number' || !Number.isInteger(frames)) throw invalidField('frames', `must be an integer, got ${String(frames)}`);
  if (frames <= 0) throw invalidField('frames', `must be at least 1, got ${frames}`);
  if (frames > MAX_FRAMES) throw new BridgeError('limit_exceeded', `frames: ${frames}, the limit is ${MAX_FRAMES}`, 'frames');
  if ((request.batch ?? 1) !== 1) throw invalidField('batch', 'animations are made one frame at a time; leave batch at 1');
  if (request.variation !== undefined) throw invalidField('variation', 'animations move between seeds with toSeed; leave variation out');
  // Interpolating 'noise' mixes has no meaning; keyframes blend as embeddings.
  const params = resolveParams({ ...request, mixMode: 'embeddings' }, nativeSize, limits);
  const toPrompt = request.toPrompt ?? params.prompt;
  if (typeof toPrompt !== 'string') throw invalidField('toPrompt', 'must be a string');
  parsePromptField(toPrompt, 'toPrompt');
  const toSeed = request.toSeed ?? params.seed;
  if (!Number.isInteger(toSeed) || toSeed < 0 || toSeed > Number.MAX_SAFE_INTEGER) {
    throw invalidField('toSeed', `must be a non-negative integer, got ${String(toSeed)}`);
  }
  const chain = request.chainStrength;
  if (chain !== undefined) {
    if (typeof chain !== 'number' || !(chain > 0 && chain < 1)) throw invalidField('chainStrength', `must be a number between 0 and 1 (exclusive), got ${String(chain)}`);
    if (keptSteps(params.steps, chain) === 0) {
      throw invalidField('chainStrength', `${chain} × ${params.steps} steps is less than one step; raise the strength or the steps`);
    }
  }
  return { params, frames, toPrompt, toSeed, chain };
}

/** The interpolation position of each frame. */
export function frameTimes(frames: number): number[] {
  return Array.from({ length: frames }, (_, k) => (frames === 1 ? 0 : k / (frames - 1)));
}

export async function animate(model: LoadedModel, request: AnimationRequest, options: AnimationOptions = {}): Promise<AnimationResult> {
  const started = performance.now();
  const { params, frames, toPrompt, toSeed, chain } = resolveAnimation(request, model.info.nativeSize, options.limits ?? DEFAULT_LIMITS);
  const withCfg = usesCfg(await model.unet(), params.guidance);
  const stack = await TextStack.of(model);
  const start: ConditioningRequest = { ...params, mixMode: 'embeddings' };
  const end: ConditioningRequest = { ...start, prompt: toPrompt };
  const minWindows = Math.max(
    conditioningWindows(model.tokenizer, start, withCfg),
    conditioningWindows(model.tokenizer, end, withCfg),
  );
  const a = await encodeConditioning(stack, { ...start, minWindows }, withCfg);
  const b = toPrompt === params.prompt ? a : await encodeConditioning(stack, { ...end, minWindows }, withCfg);
  const timings = { totalMs: 0, encodeMs: performance.now() - started, denoiseMs: 0, decodeMs: 0 };

  const shape = [1, 4, params.height / 8, params.width / 8] as const;
  const endNoise = new BatchNoise(toSeed, 1, 'per-image').randn(shape);
  const out: AnimationFrame[] = [];
  let className = '';
  let previous: RgbaImage | undefined;
  for (const [index, t] of frameTimes(frames).entries()) {
    throwIfAborted(options.signal);
    const frameStarted = performance.now();
    const scheduler = schedulerFor(model, params.scheduler);
    className = scheduler.className;
    // The start seed's generator also supplies the steps' noise, as in a txt2img run with that seed.
    const noise = new BatchNoise(params.seed, 1, 'per-image');
    const frameNoise = slerp(noise.randn(shape), endNoise, t);
    const run: PromptRun = {
      model,
      params,
      scheduler,
      cond: {
        ...a.cond,
        data: lerp(a.cond.data, b.cond.data, t),
        ...(a.cond.pooled && b.cond.pooled ? { pooled: lerp(a.cond.pooled, b.cond.pooled, t) } : {}),
      },
      uncond: a.uncond,
      mix: undefined,
      noise,
      shape,
      timeIds: sizeConditioning(model, params.width, params.height),
      started,
      marks: { encoded: started, denoised: started },
      warnings: [],
    };
    let latents: Float32Array;
    let timesteps: readonly number[];
    if (chain !== undefined && previous !== undefined) {
      timesteps = img2imgTimesteps(scheduler, params.steps, chain).timesteps;
      const init = await imageLatents(model, rgbaToChw(previous), params.width, params.height, params, noise);
      latents = scheduler.addNoise(init, frameNoise, timesteps[0] as number);
    } else {
      scheduler.setTimesteps(params.steps);
      timesteps = scheduler.timesteps;
      latents = frameNoise;
      const sigma = Math.fround(scheduler.initNoiseSigma);
      for (let i = 0; i < latents.length; i++) latents[i] = (latents[i] as number) * sigma;
    }
    const [image] = await denoiseAndDecode(run, { latents, timesteps }, options);
    // denoiseAndDecode marks where denoising began and ended; before it is this frame's encode.
    timings.encodeMs += run.marks.encoded - frameStarted;
    timings.denoiseMs += run.marks.denoised - run.marks.encoded;
    timings.decodeMs += performance.now() - run.marks.denoised;
    if (image === undefined) throw new BridgeError('inference_failed', 'VAE decoder returned no image', 'vae_decoder');
    previous = image;
    const frame: AnimationFrame = { image, index, seed: params.seed, t };
    out.push(frame);
    options.onFrame?.(frame, frames);
  }
  timings.totalMs = performance.now() - started;
  const warnings = [...new Set([...a.warnings, ...b.warnings])];
  return { frames: out, params, toPrompt, toSeed, chainStrength: chain, scheduler: className, timings, ...(warnings.length > 0 ? { warnings } : {}) };
}
