import { invalidField } from '@latent-bridge/shared';
import type { MixMode } from './conditioning.js';
import type { SeedResize, Variation } from './noise.js';
import { parsePromptField } from './prompt-syntax.js';

export interface CreativeParams {
  variation: Variation | undefined;
  /** A1111's seed_resize_from_w/h: the size the seed's noise was first made at (per-image seeds only). */
  seedResizeFrom: SeedResize | undefined;
  mixMode: MixMode;
}

/**
 * Validates the creative controls of a request and the prompt syntax of both prompt fields, so a
 * job with a typo fails before it is queued or any model runs.
 */
export function resolveCreativeParams(params: {
  prompt: string;
  negative?: string | undefined;
  variation?: unknown;
  seedResizeFrom?: unknown;
  seedMode?: unknown;
  mixMode?: unknown;
}): CreativeParams {
  parsePromptField(params.prompt, 'prompt');
  parsePromptField(params.negative ?? '', 'negative');
  const mixMode = params.mixMode ?? 'embeddings';
  if (mixMode !== 'embeddings' && mixMode !== 'noise') throw invalidField('mixMode', "must be 'embeddings' or 'noise'");
  const seedResizeFrom = resolveSeedResize(params.seedResizeFrom);
  if (seedResizeFrom !== undefined && params.seedMode === 'shared') {
    throw invalidField('seedResizeFrom', "needs seedMode 'per-image' (A1111's one generator per image)");
  }
  return { variation: resolveVariation(params.variation), seedResizeFrom, mixMode };
}

export function resolveSeedResize(value: unknown): SeedResize | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw invalidField('seedResizeFrom', 'must be an object {width, height}');
  const { width, height } = value as { width?: unknown; height?: unknown };
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 8 || v > 8192) {
      throw invalidField(`seedResizeFrom.${name}`, `must be an integer from 8 to 8192, got ${String(v)}`);
    }
  }
  return { width: width as number, height: height as number };
}

export function resolveVariation(value: unknown): Variation | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw invalidField('variation', 'must be an object {seed, strength}');
  const { seed, strength } = value as { seed?: unknown; strength?: unknown };
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    throw invalidField('variation.seed', `must be a non-negative integer, got ${String(seed)}`);
  }
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < 0 || strength > 1) {
    throw invalidField('variation.strength', `must be a number from 0 to 1, got ${String(strength)}`);
  }
  return { seed, strength };
}
