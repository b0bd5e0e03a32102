import { formatParameters, samplerLabel } from '../metadata/a1111.js';
import type { ResolvedParams } from '../pipeline/params.js';

/**
 * The A1111 "parameters" text for one image, including the creative controls in A1111's own field
 * names (Variation seed, Variation seed strength) and ours where A1111 has none.
 */
export function parametersText(
  params: ResolvedParams,
  seed: number,
  schedulerClass: string,
  model: string,
  schedulerConfig: Record<string, unknown> = {},
  extra: Record<string, string | number> = {},
): string {
  const fields: Record<string, string | number> = {};
  if (params.variation !== undefined && params.variation.strength > 0) {
    const offset = params.seedMode === 'per-image' ? seed - params.seed : 0;
    fields['Variation seed'] = params.variation.seed + offset;
    fields['Variation seed strength'] = params.variation.strength;
  }
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
    model,
    extra: { ...fields, ...extra },
  });
}
