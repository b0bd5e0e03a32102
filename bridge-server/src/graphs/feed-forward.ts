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
 *
 * proj is written as two products with the halves of its one weight and bias (Slices of the torch
 * parameters, which onnxruntime folds at load, so LoRA merges still patch `proj.weight`): the whole
 * [B, S, 2·inner] product and its biased copy are then never alive together. At 64² latents they
 * are the UNet's largest activations (2 × 4096 × 2560 floats, 80 MiB each), and how many of them
 * coexist decides how far onnxruntime's arena grows and stays.
 */
export function geglu(p: Params, x: string, dimIn: number, inner: number, _o: GegluOptions = {}): string {
  const g = p.g;
  return p.module('proj', (m) => {
    const weight = m.linearWeight('weight', 2 * inner, dimIn);
    const bias = m.tensor('bias', [2 * inner]);
    const half = (start: number) => g.add(g.matmul(x, g.slice(weight, [start], [start + inner], [1])), g.slice(bias, [start], [start + inner], [0]));
    const hidden = half(0);
    return g.mul(hidden, g.gelu(half(inner)));
  });
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
