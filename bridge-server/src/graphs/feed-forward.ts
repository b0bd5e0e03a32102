/**
 * diffusers' FeedForward with the GEGLU activation (BasicTransformerBlock's `ff`):
 * net.0 = GEGLU (one Linear to 2·inner, split into hidden and gate, hidden · gelu(gate)),
 * net.1 = Dropout, net.2 = Linear back. GEGLU is one function with a variant switch, so a fused
 * kernel could replace it for every transformer at once. None does on the CPU today: onnxruntime
 * already fuses the Erf pattern into com.microsoft Gelu when it optimizes the graph, and
 * BiasSplitGelu has only a CUDA kernel.
 */
import { linear } from './layers.js';
import type { GraphVariant } from './norms.js';
import type { Params } from './params.js';

export interface GegluOptions {
  variant?: GraphVariant;
}

/**
 * GEGLU(dimIn, inner): proj → chunk(2, dim=-1) → hidden · gelu_erf(gate). The exact (erf) GELU,
 * as F.gelu's default; in float16 graphs Erf runs in float16 like torch's half gelu.
 */
export function geglu(p: Params, x: string, dimIn: number, inner: number, _o: GegluOptions = {}): string {
  const g = p.g;
  const projected = p.module('proj', (m) => linear(m, x, dimIn, 2 * inner));
  const [hidden, gate] = g.split2(projected, inner, inner, -1);
  return g.mul(hidden, g.gelu(gate));
}

export interface FeedForwardOptions {
  dim: number;
  /** Inner width; diffusers' default is 4·dim. */
  inner: number;
  variant?: GraphVariant;
}

/** FeedForward(dim, activation_fn="geglu"): net.0 (GEGLU), net.2 (Linear inner → dim). */
export function feedForward(p: Params, x: string, o: FeedForwardOptions): string {
  const variant = o.variant === undefined ? {} : { variant: o.variant };
  const h = p.module('net.0', (m) => geglu(m, x, o.dim, o.inner, variant));
  return p.module('net.2', (m) => linear(m, h, o.inner, o.dim));
}
