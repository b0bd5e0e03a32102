/**
 * From prompt fields to what denoise needs: the weighted, possibly mixed prompt and negative,
 * encoded to one common sequence length. Mixed prompts are blended here ('embeddings' mode) or
 * handed to denoise one by one ('noise' mode, see MixedGuidance).
 */
import type { OnnxModel } from '../runtime/index.js';
import type { ClipTokenizer } from '../tokenizer/index.js';
import type { PromptEmbedding } from './prompt-encoding.js';
import { normalizedWeights, parsePromptField } from './prompt-syntax.js';
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
  const data = new Float32Array(first.embedding.data.length);
  for (let i = 0; i < data.length; i++) {
    let sum = 0;
    for (const { embedding, weight } of items) sum += (embedding.data[i] as number) * weight;
    data[i] = sum;
  }
  return { data, tokens: first.embedding.tokens, hidden: first.embedding.hidden };
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
export async function encodeConditioning(
  tokenizer: ClipTokenizer,
  encoder: OnnxModel,
  request: ConditioningRequest,
  withNegative: boolean,
): Promise<Conditioning> {
  const positive = fieldWindows(tokenizer, request.prompt, 'prompt', request.longPrompt);
  const negative = withNegative ? fieldWindows(tokenizer, request.negative, 'negative', request.longPrompt) : undefined;
  const all = [...positive.windows, ...(negative?.windows ?? [])];
  const length = Math.max(request.minWindows ?? 1, ...all.map((w) => w.length));
  for (const windows of all) while (windows.length < length) windows.push(emptyWindow(tokenizer));

  const encodeField = async (f: FieldWindows): Promise<WeightedEmbedding[]> => {
    const out: WeightedEmbedding[] = [];
    for (const [i, windows] of f.windows.entries()) {
      out.push({ embedding: await encodeWeightedWindows(encoder, windows), weight: f.weights[i] as number });
    }
    return out;
  };
  const conds = await encodeField(positive);
  const uncond = negative ? blendEmbeddings(await encodeField(negative)) : undefined;
  if (conds.length > 1 && request.mixMode === 'noise') {
    return { cond: (conds[0] as WeightedEmbedding).embedding, uncond, mix: conds };
  }
  return { cond: blendEmbeddings(conds), uncond };
}

/** Repeats one prompt's hidden states for each image of the batch. */
function repeat(e: PromptEmbedding, times: number): Float32Array {
  const out = new Float32Array(e.data.length * times);
  for (let i = 0; i < times; i++) out.set(e.data, i * e.data.length);
  return out;
}

/** A UNet noise prediction for the current sample with the given (batch-repeated) hidden states. */
export type PredictWith = (states: Float32Array, tokens: number) => Promise<Float32Array>;

/**
 * 'noise' mode of mixed guidance (composable diffusion, as A1111's AND): one prediction per
 * prompt, eps = eps_u + g·Σ wᵢ(epsᵢ − eps_u), which with Σ wᵢ = 1 is CFG on the weighted sum of
 * the predictions. Without CFG it is the weighted sum itself.
 */
export class MixedGuidance {
  private readonly states: Array<{ states: Float32Array; tokens: number; weight: number }>;
  private readonly uncond: { states: Float32Array; tokens: number } | undefined;

  constructor(
    mix: readonly WeightedEmbedding[],
    uncond: PromptEmbedding | undefined,
    private readonly guidance: number,
    batch: number,
  ) {
    this.states = mix.map((m) => ({ states: repeat(m.embedding, batch), tokens: m.embedding.tokens, weight: m.weight }));
    this.uncond = uncond ? { states: repeat(uncond, batch), tokens: uncond.tokens } : undefined;
  }

  async predict(predictWith: PredictWith, guide: (u: Float32Array, c: Float32Array, g: number) => Float32Array): Promise<Float32Array> {
    let sum: Float64Array | undefined;
    for (const s of this.states) {
      const eps = await predictWith(s.states, s.tokens);
      sum ??= new Float64Array(eps.length);
      for (let i = 0; i < eps.length; i++) sum[i] = (sum[i] as number) + s.weight * (eps[i] as number);
    }
    const combined = Float32Array.from(sum ?? []);
    if (!this.uncond) return combined;
    const u = await predictWith(this.uncond.states, this.uncond.tokens);
    return guide(u, combined, this.guidance);
  }
}
