/**
 * Attention. scaledDotProductAttention is the one place where softmax(q·kᵀ/√d)·v is written:
 * as plain MatMul/Softmax ('standard') or as onnxruntime's fused com.microsoft MultiHeadAttention
 * ('fused'), which takes the same projected q, k, v. diffusersAttention is diffusers' `Attention`
 * module (to_q/to_k/to_v/to_out.0) as the UNet and the VAE use it; CLIP's attention (q_proj/…/out_proj) lives with the text encoder.
 */
import type { OpBuilder } from '../onnx/ops.js';
import type { GraphVariant } from './norms.js';
import { linear } from './layers.js';
import type { Params } from './params.js';

export interface SdpaOptions {
  heads: number;
  headDim: number;
  /**
   * An additive mask broadcastable to the scores [B, heads, S, T] (CLIP's causal mask); float32
   * in float16 graphs, where scores are upcast before the mask and softmax.
   */
  mask?: string;
  /**
   * diffusers' `upcast_attention` (SD 2.1's UNet): in float16 graphs q and k are cast to float32
   * before their product, whose entries can pass float16's range.
   */
  upcast?: boolean;
  variant?: GraphVariant;
}

/**
 * softmax(q·kᵀ·scale + mask)·v for q [B, S, heads·headDim] and k, v [B, T, heads·headDim], returning
 * [B, S, heads·headDim]. q is scaled before the product (same value as scaling the scores, and safe
 * from fp16 overflow); in float16 graphs the softmax runs in float32, as transformers' eager CLIP
 * attention and diffusers' `upcast_softmax` do.
 */
export function scaledDotProductAttention(g: OpBuilder, q: string, k: string, v: string, o: SdpaOptions): string {
  const { heads, headDim } = o;
  const upcast = g.floatType === 'float16';
  // The fused kernel computes the same function without the [B, heads, S, T] scores in memory (on
  // the CPU it streams over key blocks); a mask or fp16 scores needing float32 keep the plain form.
  if (o.variant === 'fused' && o.mask === undefined && !(upcast && o.upcast === true)) return g.multiHeadAttention(q, k, v, heads);
  // [B, S, heads·d] → [B, heads, S, d], or [B, heads, d, S] for the key (a single head skips the reshape).
  const toHeads = (t: string, asKey: boolean): string => {
    if (heads === 1) return asKey ? g.transpose(t, [0, 2, 1]) : t;
    return g.transpose(g.reshape(t, [0, 0, heads, headDim]), asKey ? [0, 2, 3, 1] : [0, 2, 1, 3]);
  };
  const scale = 1 / Math.sqrt(headDim);
  let scores: string;
  if (upcast && o.upcast === true) {
    const q32 = g.mul(g.cast(q, 'float32'), g.constant('float32', scale));
    scores = g.matmul(toHeads(q32, false), toHeads(g.cast(k, 'float32'), true));
  } else {
    scores = g.matmul(toHeads(g.scale(q, scale), false), toHeads(k, true));
    if (upcast) scores = g.cast(scores, 'float32');
  }
  if (o.mask !== undefined) scores = g.add(scores, o.mask);
  let probs = g.softmax(scores, -1);
  if (upcast) probs = g.cast(probs, 'float16');
  const mixed = g.matmul(probs, toHeads(v, false));
  return heads === 1 ? mixed : g.reshape(g.transpose(mixed, [0, 2, 1, 3]), [0, 0, heads * headDim]);
}

export interface AttentionOptions {
  queryDim: number;
  /** Width of the context (cross-attention); the query width for self-attention. */
  contextDim: number;
  heads: number;
  headDim: number;
  /** The UNet's attention has no q/k/v biases; the VAE's has. */
  qkvBias: boolean;
  /** See SdpaOptions.upcast. */
  upcast?: boolean;
  variant?: GraphVariant;
}

/** diffusers `Attention`: to_q on x [B, S, queryDim], to_k/to_v on context [B, T, contextDim], to_out.0. */
export function diffusersAttention(p: Params, x: string, context: string, o: AttentionOptions): string {
  const inner = o.heads * o.headDim;
  const q = p.module('to_q', (m) => linear(m, x, o.queryDim, inner, o.qkvBias));
  const k = p.module('to_k', (m) => linear(m, context, o.contextDim, inner, o.qkvBias));
  const v = p.module('to_v', (m) => linear(m, context, o.contextDim, inner, o.qkvBias));
  const attended = scaledDotProductAttention(p.g, q, k, v, {
    heads: o.heads,
    headDim: o.headDim,
    ...(o.upcast === undefined ? {} : { upcast: o.upcast }),
    ...(o.variant === undefined ? {} : { variant: o.variant }),
  });
  return p.module('to_out.0', (m) => linear(m, attended, inner, o.queryDim));
}
