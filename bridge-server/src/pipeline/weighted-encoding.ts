/**
 * Token weights applied the way A1111 does: each 77-token window is encoded as usual, every
 * token's hidden state is multiplied by its weight, and the window is rescaled so the mean over all
 * its values is what it was before weighting. The weights change the balance between tokens, not
 * the overall magnitude the UNet was trained on.
 */
import type { ClipTokenizer } from '../tokenizer/index.js';
import type { PromptEmbedding } from './prompt-encoding.js';
import { isPlain, type PromptPiece } from './prompt-syntax.js';
import type { TextStack } from './text-stack.js';

/** One text-encoder input window and the weight of each of its positions (BOS/EOS/padding: 1). */
export interface TokenWindow {
  ids: Int32Array;
  weights: Float32Array;
}

function frame(tokenizer: ClipTokenizer, ids: readonly number[], weights: readonly number[]): TokenWindow {
  const length = tokenizer.maxLength;
  const out: TokenWindow = { ids: new Int32Array(length).fill(tokenizer.padId), weights: new Float32Array(length).fill(1) };
  out.ids[0] = tokenizer.bosId;
  out.ids.set(ids, 1);
  out.weights.set(weights, 1);
  out.ids[ids.length + 1] = tokenizer.eosId;
  return out;
}

/** A window of the empty prompt, used to pad prompts to a common length. */
export function emptyWindow(tokenizer: ClipTokenizer): TokenWindow {
  return frame(tokenizer, [], []);
}

/**
 * Cuts the weighted pieces into windows of maxLength-2 tokens ('chunk'), or keeps the first window
 * only ('truncate', where BREAK is ignored). A plain prompt gives exactly the ids of
 * ClipTokenizer.tokenizeChunks / tokenize, so its embedding is unchanged.
 */
export function weightedWindows(tokenizer: ClipTokenizer, pieces: readonly PromptPiece[], mode: 'chunk' | 'truncate'): TokenWindow[] {
  const size = tokenizer.maxLength - 2;
  const windows: TokenWindow[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  const push = () => {
    windows.push(frame(tokenizer, ids, weights));
    ids = [];
    weights = [];
  };
  // A plain prompt is tokenized as one text, exactly as before weighting existed.
  const runs: PromptPiece[] = isPlain(pieces) ? [{ text: pieces.map((p) => (p === 'BREAK' ? '' : p.text)).join(''), weight: 1 }] : [...pieces];
  for (const piece of runs) {
    if (piece === 'BREAK') {
      if (mode === 'chunk' && ids.length > 0) push();
      continue;
    }
    for (const unit of tokenizer.encodeUnits(piece.text)) {
      // An embedding's vectors stay together: one that does not fit starts the next window (A1111).
      if (ids.length === size || (unit.length > 1 && ids.length + unit.length > size && ids.length > 0)) push();
      for (const id of unit) {
        ids.push(id);
        weights.push(piece.weight);
      }
    }
  }
  if (ids.length > 0 || windows.length === 0) push();
  return mode === 'truncate' ? windows.slice(0, 1) : windows;
}

/**
 * Multiplies each position's hidden vector by its weight, then rescales the window so its mean is
 * the unweighted mean. A window whose weights are all 1 is returned untouched (bit for bit).
 */
export function applyTokenWeights(hidden: Float32Array, weights: Float32Array, hiddenSize: number): Float32Array {
  if (weights.every((w) => w === 1)) return hidden;
  let before = 0;
  for (const v of hidden) before += v;
  const out = new Float32Array(hidden.length);
  let after = 0;
  for (let t = 0; t < weights.length; t++) {
    const w = weights[t] as number;
    for (let h = 0; h < hiddenSize; h++) {
      const i = t * hiddenSize + h;
      const v = Math.fround((hidden[i] as number) * w);
      out[i] = v;
      after += v;
    }
  }
  // A zero mean cannot be restored by scaling (A1111 would produce NaN here); keep the weighted values.
  if (after === 0 || before === 0 || !Number.isFinite(before / after)) return out;
  const scale = Math.fround(before / after);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround((out[i] as number) * scale);
  return out;
}

/**
 * Encodes each window, applies its weights, and concatenates along the sequence. The pooled
 * embedding (SDXL) is the first window's, unweighted, as A1111 takes it.
 */
export async function encodeWeightedWindows(stack: TextStack, windows: readonly TokenWindow[]): Promise<PromptEmbedding> {
  const parts: PromptEmbedding[] = [];
  let pooled: Float32Array | undefined;
  for (const window of windows) {
    const e = await stack.encodeWindow(window.ids);
    pooled ??= e.pooled;
    const perToken = e.tokens === window.weights.length ? window.weights : new Float32Array(e.tokens).fill(1);
    parts.push({ data: applyTokenWeights(e.hidden, perToken, e.hiddenSize), tokens: e.tokens, hidden: e.hiddenSize });
  }
  const hidden = parts[0]?.hidden ?? 0;
  const tokens = parts.reduce((n, p) => n + p.tokens, 0);
  const data = new Float32Array(tokens * hidden);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return pooled === undefined ? { data, tokens, hidden } : { data, tokens, hidden, pooled };
}
