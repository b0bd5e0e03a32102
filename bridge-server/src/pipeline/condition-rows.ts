/**
 * A prompt's UNet conditioning laid out per image of a batch: the hidden states the cross-attention
 * reads and, for SDXL, the pooled text embedding its added-condition embedding takes.
 */
import type { PromptEmbedding } from './prompt-encoding.js';

export interface ConditionRows {
  /** [rows, tokens, hidden] flattened. */
  readonly states: Float32Array;
  readonly rows: number;
  readonly tokens: number;
  readonly hidden: number;
  /** [rows, pooledSize] flattened (SDXL), else undefined. */
  readonly pooled: Float32Array | undefined;
}

function repeat(data: Float32Array, times: number): Float32Array {
  const out = new Float32Array(data.length * times);
  for (let i = 0; i < times; i++) out.set(data, i * data.length);
  return out;
}

/** One prompt's embedding repeated for each image of the batch. */
export function repeatRows(e: PromptEmbedding, batch: number): ConditionRows {
  return { states: repeat(e.data, batch), rows: batch, tokens: e.tokens, hidden: e.hidden, pooled: e.pooled && repeat(e.pooled, batch) };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** `first` then `second` as one batch (CFG's [uncond, cond] in one UNet call). */
export function joinRows(first: ConditionRows, second: ConditionRows): ConditionRows {
  const pooled = first.pooled && second.pooled ? concat(first.pooled, second.pooled) : undefined;
  return { states: concat(first.states, second.states), rows: first.rows + second.rows, tokens: first.tokens, hidden: first.hidden, pooled };
}

/** Rows [start, start + n) without copying. */
export function sliceRows(r: ConditionRows, start: number, n: number): ConditionRows {
  const stateStride = r.tokens * r.hidden;
  const pooledStride = r.pooled ? r.pooled.length / r.rows : 0;
  return {
    states: r.states.subarray(start * stateStride, (start + n) * stateStride),
    rows: n,
    tokens: r.tokens,
    hidden: r.hidden,
    pooled: r.pooled?.subarray(start * pooledStride, (start + n) * pooledStride),
  };
}
