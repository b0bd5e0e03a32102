/**
 * From prompt fields to what denoise needs: the weighted, possibly mixed prompt and negative,
 * encoded to one common sequence length. Mixed prompts are blended here ('embeddings' mode) or
 * handed to denoise one by one ('noise' mode, see MixedGuidance).
 */
import type { ClipTokenizer } from '../tokenizer/index.js';
import { repeatRows, type ConditionRows } from './condition-rows.js';
import type { PromptEmbedding } from './prompt-encoding.js';
import { normalizedWeights, parsePromptField } from './prompt-syntax.js';
import type { TextStack } from './text-stack.js';
import { emptyWindow, encodeWeightedWindows, weightedWindows, type TokenWindow } from './weighted-encoding.js';

export type MixMode = 'embeddings' | 'noise';

/** One prompt of a 'noise' mix with its weight (the weights of a mix add up to 1). */
export interface WeightedEmbedding {
  embedding: PromptEmbedding;
  weight: number;
}

export interface Conditioning {
  /** The prompt (blended, for a mix in 'embeddings' mode; the first prompt of a 'noise' mix). */
  cond: PromptEmbedding;
  uncond: PromptEmbedding | undefined;
  /** Present for a 'noise' mix of two or more prompts: denoise combines their predictions. */
  mix?: WeightedEmbedding[];
  /** What the job's output should tell the user (a long prompt cut for a fixed-length UNet). */
  warnings: string[];
}

export interface ConditioningRequest {
  prompt: string;
  negative: string;
  longPrompt: 'chunk' | 'truncate';
  mixMode?: MixMode;
  /** Pad every prompt to at least this many windows (animation keyframes must match in length). */
  minWindows?: number;
}

interface FieldWindows {
  windows: TokenWindow[][];
  weights: number[];
}

function fieldWindows(tokenizer: ClipTokenizer, text: string, field: string, mode: 'chunk' | 'truncate'): FieldWindows {
  const { parts } = parsePromptField(text, field);
  return { windows: parts.map((p) => weightedWindows(tokenizer, p.pieces, mode)), weights: normalizedWeights(parts) };
}

/** Weighted sum of same-shaped embeddings (weights add up to 1). */
export function blendEmbeddings(items: readonly WeightedEmbedding[]): PromptEmbedding {
  const first = items[0];
  if (first === undefined) throw new Error('blendEmbeddings: nothing to blend');
  if (items.length === 1 && first.weight === 1) return first.embedding;
  const blend = (pick: (e: PromptEmbedding) => Float32Array | undefined): Float32Array | undefined => {
    const firstData = pick(first.embedding);
    if (firstData === undefined) return undefined;
    const out = new Float32Array(firstData.length);
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (const { embedding, weight } of items) sum += ((pick(embedding) as Float32Array)[i] as number) * weight;
      out[i] = sum;
    }
    return out;
  };
  const data = blend((e) => e.data) as Float32Array;
  const pooled = blend((e) => e.pooled);
  const blended: PromptEmbedding = { data, tokens: first.embedding.tokens, hidden: first.embedding.hidden };
  return pooled === undefined ? blended : { ...blended, pooled };
}

/** diffusers' zero negative embeddings (force_zeros_for_empty_prompt), shaped like `like`. */
export function zeroEmbedding(like: PromptEmbedding): PromptEmbedding {
  const zero: PromptEmbedding = { data: new Float32Array(like.data.length), tokens: like.tokens, hidden: like.hidden };
  return like.pooled === undefined ? zero : { ...zero, pooled: new Float32Array(like.pooled.length) };
}

/** How many 77-token windows the request's prompts need (the longest of prompt, mix parts, negative). */
export function conditioningWindows(tokenizer: ClipTokenizer, request: ConditioningRequest, withNegative: boolean): number {
  const lengths = fieldWindows(tokenizer, request.prompt, 'prompt', request.longPrompt).windows.map((w) => w.length);
  if (withNegative) lengths.push(...fieldWindows(tokenizer, request.negative, 'negative', request.longPrompt).windows.map((w) => w.length));
  return Math.max(1, ...lengths);
}

/**
 * Parses and encodes the prompt and (with CFG) the negative prompt. Every prompt of a mix and the
 * negative are padded with empty windows to the same length, as CFG batching and blending need.
 * Throws PromptSyntaxError (code prompt_syntax) before running the encoder.
 */
export async function encodeConditioning(stack: TextStack, request: ConditioningRequest, withNegative: boolean): Promise<Conditioning> {
  const tokenizer = stack.tokenizer;
  const positive = fieldWindows(tokenizer, request.prompt, 'prompt', request.longPrompt);
  // SDXL's pipelines leave an absent negative prompt as zeros rather than encoding "".
  const zeroNegative = withNegative && stack.forceZerosForEmptyPrompt && request.negative.trim() === '';
  const negative = withNegative && !zeroNegative ? fieldWindows(tokenizer, request.negative, 'negative', request.longPrompt) : undefined;
  const warnings = [...cutToFit(stack, positive, 'prompt'), ...(negative ? cutToFit(stack, negative, 'negative') : [])];
  const all = [...positive.windows, ...(negative?.windows ?? [])];
  const length = Math.min(stack.maxWindows ?? Infinity, Math.max(request.minWindows ?? 1, ...all.map((w) => w.length)));
  for (const windows of all) while (windows.length < length) windows.push(emptyWindow(tokenizer));

  const encodeField = async (f: FieldWindows): Promise<WeightedEmbedding[]> => {
    const out: WeightedEmbedding[] = [];
    for (const [i, windows] of f.windows.entries()) {
      out.push({ embedding: await encodeWeightedWindows(stack, windows), weight: f.weights[i] as number });
    }
    return out;
  };
  const conds = await encodeField(positive);
  const first = (conds[0] as WeightedEmbedding).embedding;
  const uncond = negative ? blendEmbeddings(await encodeField(negative)) : zeroNegative ? zeroEmbedding(first) : undefined;
  if (conds.length > 1 && request.mixMode === 'noise') {
    return { cond: first, uncond, mix: conds, warnings };
  }
  return { cond: blendEmbeddings(conds), uncond, warnings };
}

/**
 * A UNet exported with a fixed 77-token encoder_hidden_states cannot take a long prompt's
 * concatenated windows: like diffusers, keep the first window(s) and say what was cut.
 */
function cutToFit(stack: TextStack, field: FieldWindows, name: string): string[] {
  const max = stack.maxWindows;
  if (max === undefined) return [];
  const warnings: string[] = [];
  for (const windows of field.windows) {
    if (windows.length <= max) continue;
    const dropped = windows.splice(max);
    const text = dropped.map((w) => stack.tokenizer.decode(w.ids)).join(' ').trim();
    warnings.push(
      `${name}: this model's UNet takes a fixed ${stack.fixedTokens ?? 0}-token text sequence (as exported), so the prompt was ` +
        `truncated to ${max * (stack.tokenizer.maxLength - 2)} tokens; this part was dropped: "${text}"`,
    );
  }
  return warnings;
}

/** A UNet noise prediction for the current sample with the given (batch-repeated) conditioning. */
export type PredictWith = (rows: ConditionRows) => Promise<Float32Array>;

/**
 * 'noise' mode of mixed guidance (composable diffusion, as A1111's AND): one prediction per
 * prompt, eps = eps_u + g·Σ wᵢ(epsᵢ − eps_u), which with Σ wᵢ = 1 is CFG on the weighted sum of
 * the predictions. Without CFG it is the weighted sum itself.
 */
export class MixedGuidance {
  private readonly prompts: Array<{ rows: ConditionRows; weight: number }>;
  private readonly uncond: ConditionRows | undefined;

  constructor(
    mix: readonly WeightedEmbedding[],
    uncond: PromptEmbedding | undefined,
    private readonly guidance: number,
    batch: number,
  ) {
    this.prompts = mix.map((m) => ({ rows: repeatRows(m.embedding, batch), weight: m.weight }));
    this.uncond = uncond ? repeatRows(uncond, batch) : undefined;
  }

  async predict(predictWith: PredictWith, guide: (u: Float32Array, c: Float32Array, g: number) => Float32Array): Promise<Float32Array> {
    let sum: Float64Array | undefined;
    for (const s of this.prompts) {
      const eps = await predictWith(s.rows);
      sum ??= new Float64Array(eps.length);
      for (let i = 0; i < eps.length; i++) sum[i] = (sum[i] as number) + s.weight * (eps[i] as number);
    }
    const combined = Float32Array.from(sum ?? []);
    if (!this.uncond) return combined;
    const u = await predictWith(this.uncond);
    return guide(u, combined, this.guidance);
  }
}
