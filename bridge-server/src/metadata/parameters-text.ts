import type { ResolvedParams } from '../pipeline/params.js';
import { formatParameters, samplerLabel } from './a1111.js';

/**
 * The A1111 "parameters" text for one image, including the creative controls in A1111's own field
 * names (Variation seed, Variation seed strength) and ours where A1111 has none. The CLI writes it
 * into PNGs and the server sends it with every result, so both read back the same way.
 */
export function parametersText(
  params: ResolvedParams,
  seed: number,
  schedulerClass: string,
  model: string | { name: string; hash?: string | undefined },
  schedulerConfig: Record<string, unknown> = {},
  extra: Record<string, string | number> = {},
  strength?: number,
): string {
  const fields: Record<string, string | number> = {};
  if (params.variation !== undefined && params.variation.strength > 0) {
    const offset = params.seedMode === 'per-image' ? seed - params.seed : 0;
    fields['Variation seed'] = params.variation.seed + offset;
    fields['Variation seed strength'] = params.variation.strength;
  }
  if (params.seedResizeFrom !== undefined) fields['Seed resize from'] = `${params.seedResizeFrom.width}x${params.seedResizeFrom.height}`;
  if (params.prompt.includes('|') && params.mixMode === 'noise') fields['Mix mode'] = 'noise';
  return formatParameters({
    prompt: params.prompt,
    negative: params.negative,
    steps: params.steps,
    sampler: samplerLabel(schedulerClass, schedulerConfig),
    guidance: params.guidance,
    seed,
    width: params.width,
    height: params.height,
    model: typeof model === 'string' ? model : model.name,
    ...(typeof model !== 'string' && model.hash !== undefined ? { modelHash: model.hash } : {}),
    ...(strength !== undefined ? { strength } : {}),
    extra: { ...fields, ...extra },
  });
}

/** What an animation frame's parameters add, in the keys `latent-bridge animate` writes. */
export interface AnimationFrameInfo {
  frames: number;
  toPrompt: string;
  toSeed: number;
  chainStrength: number | undefined;
  /** Position between the keyframes, 0 … 1; absent for the animation as a whole. */
  t?: number;
}

export function animationFields(info: AnimationFrameInfo): Record<string, string | number> {
  const extra: Record<string, string | number> = { Frames: info.frames, 'To prompt': info.toPrompt, 'To seed': info.toSeed };
  if (info.chainStrength !== undefined) extra['Chain strength'] = info.chainStrength;
  if (info.t !== undefined) extra['Frame t'] = Number(info.t.toFixed(4));
  return extra;
}
