import { BridgeError, invalidField } from '@latent-bridge/shared';
import type { MixMode } from './conditioning.js';
import { resolveCreativeParams } from './creative-params.js';
import type { SeedResize, Variation } from './noise.js';

/** What a caller asks of the pipeline. Everything but the prompt has a default. */
export interface GenerateParams {
  prompt: string;
  negative?: string;
  steps?: number;
  guidance?: number;
  /** Scheduler name (diffusers class name or alias); default: the model's own scheduler_config.json class. */
  scheduler?: string;
  /** Non-negative integer; absent = a random seed, reported in the result. */
  seed?: number;
  width?: number;
  height?: number;
  batch?: number;
  /**
   * 'per-image' (default): image i draws from its own generator seeded with seed+i, which is diffusers
   * with a list of generators, so each variant is reproducible alone with batch 1.
   * 'shared': one generator for the whole batch, which is diffusers with a single generator.
   */
  seedMode?: 'per-image' | 'shared';
  /** Prompts over 75 tokens: 'chunk' (default) encodes chunks of 75 and concatenates, 'truncate' cuts at 77. */
  longPrompt?: 'chunk' | 'truncate';
  /** Pull the initial noise towards another seed's noise (0: none, 1: that seed's noise). */
  variation?: { seed: number; strength: number };
  /**
   * A1111's "Resize seed from width/height": the noise is made at this size (pixels) and pasted,
   * centred, into the noise of the real size, so a seed found at one size keeps its composition
   * at another. Needs seedMode 'per-image'.
   */
  seedResizeFrom?: { width: number; height: number };
  /** Prompts mixed with `|`: blend their text embeddings (default) or combine their noise predictions. */
  mixMode?: MixMode;
}

export interface PipelineLimits {
  maxPixels: number;
  maxSteps: number;
  maxBatch: number;
  maxPromptChars: number;
  maxSide: number;
  /** Source images (img2img, inpaint, outpaint canvas) with more pixels are refused; default 8192². */
  maxImagePixels?: number;
}

export const DEFAULT_LIMITS: PipelineLimits = {
  maxPixels: 2048 * 2048,
  maxSteps: 500,
  maxBatch: 16,
  maxPromptChars: 4000,
  maxSide: 4096,
};

export interface ResolvedParams {
  prompt: string;
  negative: string;
  steps: number;
  guidance: number;
  scheduler: string | undefined;
  seed: number;
  width: number;
  height: number;
  batch: number;
  seedMode: 'per-image' | 'shared';
  longPrompt: 'chunk' | 'truncate';
  variation: Variation | undefined;
  seedResizeFrom: SeedResize | undefined;
  mixMode: MixMode;
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidField(field, `must be an integer, got ${String(value)}`);
  if (value < min || value > max) throw invalidField(field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function text(field: string, value: unknown, maxChars: number): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  if (value.length > maxChars) {
    throw new BridgeError('limit_exceeded', `${field}: ${value.length} characters, the limit is ${maxChars}`, field);
  }
  return value;
}

/** Picks a seed the way users expect from A1111/ComfyUI: a 32-bit unsigned integer. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000);
}

/** Validates everything a caller can get wrong, naming the field, before any model is touched. */
export function resolveParams(
  params: GenerateParams,
  nativeSize: number,
  limits: PipelineLimits = DEFAULT_LIMITS,
  requirePrompt = true,
): ResolvedParams {
  const prompt = text('prompt', params.prompt, limits.maxPromptChars);
  if (requirePrompt && prompt.trim() === '') throw invalidField('prompt', 'is empty; describe the image to generate');
  const negative = text('negative', params.negative ?? '', limits.maxPromptChars);
  const steps = integerIn('steps', params.steps ?? 30, 1, limits.maxSteps);
  const guidance = params.guidance ?? 7.5;
  if (typeof guidance !== 'number' || !Number.isFinite(guidance)) throw invalidField('guidance', `must be a finite number, got ${String(guidance)}`);
  if (guidance < 0 || guidance > 100) throw invalidField('guidance', `must be between 0 and 100, got ${guidance}`);
  const width = integerIn('width', params.width ?? nativeSize, 8, limits.maxSide);
  const height = integerIn('height', params.height ?? nativeSize, 8, limits.maxSide);
  if (width % 8 !== 0) throw invalidField('width', `must be a multiple of 8, got ${width}`);
  if (height % 8 !== 0) throw invalidField('height', `must be a multiple of 8, got ${height}`);
  if (width * height > limits.maxPixels) {
    throw new BridgeError('limit_exceeded', `width×height: ${width}×${height} is over the limit of ${limits.maxPixels} pixels`, 'width');
  }
  const batch = integerIn('batch', params.batch ?? 1, 1, limits.maxBatch);
  const seed = params.seed === undefined ? randomSeed() : integerIn('seed', params.seed, 0, Number.MAX_SAFE_INTEGER);
  const scheduler = params.scheduler === undefined || params.scheduler === '' ? undefined : text('scheduler', params.scheduler, 100);
  const seedMode = params.seedMode ?? 'per-image';
  if (seedMode !== 'per-image' && seedMode !== 'shared') throw invalidField('seedMode', "must be 'per-image' or 'shared'");
  const longPrompt = params.longPrompt ?? 'chunk';
  if (longPrompt !== 'chunk' && longPrompt !== 'truncate') throw invalidField('longPrompt', "must be 'chunk' or 'truncate'");
  const creative = resolveCreativeParams({ ...params, prompt, negative, seedMode });
  return { prompt, negative, steps, guidance, scheduler, seed, width, height, batch, seedMode, longPrompt, ...creative };
}
