/** Parameter handling the edit modes share: strength, the generation size, the nothing-to-do result. */
import { invalidField } from '@latent-bridge/shared';
import { DEFAULT_MAX_PIXELS, cloneRgba, type Extent, type RgbaImage } from '../image/index.js';
import type { LoadedModel } from './loaded-model.js';
import { DEFAULT_LIMITS, resolveParams, type GenerateParams, type PipelineLimits, type ResolvedParams } from './params.js';
import { imageSeeds, schedulerFor } from './run-core.js';
import type { GenerateResult, RunOptions } from './txt2img.js';

export function resolveStrength(value: number | undefined, fallback: number): number {
  const strength = value ?? fallback;
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < 0 || strength > 1) {
    throw invalidField('strength', `must be a number from 0 to 1, got ${String(strength)}`);
  }
  return strength;
}

/** diffusers' init_timestep = min(int(steps · strength), steps): how many steps actually run. */
export function keptSteps(steps: number, strength: number): number {
  return Math.min(Math.trunc(steps * strength), steps);
}

export function limitsOf(options: RunOptions): PipelineLimits & { maxImagePixels: number } {
  const limits = options.limits ?? DEFAULT_LIMITS;
  return { ...limits, maxImagePixels: limits.maxImagePixels ?? DEFAULT_MAX_PIXELS };
}

/**
 * Validates the request as txt2img would (width/height only as given), then fixes the generation
 * size to the planned one; the seed is drawn once so both passes agree.
 */
export function validateEditParams(model: LoadedModel, request: GenerateParams, options: RunOptions): ResolvedParams {
  return resolveParams(request, model.info.nativeSize, limitsOf(options));
}

export function paramsAtSize(model: LoadedModel, request: GenerateParams, first: ResolvedParams, size: Extent, options: RunOptions): ResolvedParams {
  return resolveParams({ ...request, seed: first.seed, width: size.width, height: size.height }, model.info.nativeSize, limitsOf(options));
}

/** strength too low for a single step: every image is the source as it was (diffusers would refuse). */
export function unchangedResult(model: LoadedModel, params: ResolvedParams, source: RgbaImage, started: number): GenerateResult {
  const seeds = imageSeeds(params);
  return {
    images: seeds.map((seed, index) => ({ image: cloneRgba(source), index, seed })),
    params,
    scheduler: schedulerFor(model, params.scheduler).className,
    timings: { totalMs: performance.now() - started, encodeMs: 0, denoiseMs: 0, decodeMs: 0 },
  };
}
