/**
 * diffusers' Transformer2DModel (continuous input) and BasicTransformerBlock as the SD UNets use
 * them (LDM's SpatialTransformer): GroupNorm(eps 1e-6) → proj_in (1×1 conv in SD 1.x, Linear in
 * SD 2.x/SDXL) → tokens → depth × [self-attention, cross-attention, GEGLU feed-forward], each
 * pre-LayerNorm with a residual → proj_out → back to [B, C, H, W] + the input.
 */
import { diffusersAttention } from './attention.js';
import { feedForward } from './feed-forward.js';
import { conv2d, linear } from './layers.js';
import { groupNorm, layerNorm, type GraphVariant } from './norms.js';
import type { Params } from './params.js';

export interface TransformerOptions {
  channels: number;
  heads: number;
  depth: number;
  crossAttentionDim: number;
  linearProjection: boolean;
  groups: number;
  upcastAttention: boolean;
  variant?: GraphVariant;
}

const TRANSFORMER_NORM_EPS = 1e-6;
const BLOCK_NORM_EPS = 1e-5;

/** BasicTransformerBlock (norm_type layer_norm, activation geglu) on tokens [B, S, dim]. */
export function basicTransformerBlock(p: Params, x: string, context: string, o: TransformerOptions): string {
  const g = p.g;
  const dim = o.channels;
  const variant = o.variant === undefined ? {} : { variant: o.variant };
  const attention = { queryDim: dim, heads: o.heads, headDim: dim / o.heads, qkvBias: false, upcast: o.upcastAttention, ...variant };
  let h = x;
  const n1 = p.module('norm1', (m) => layerNorm(m, h, dim, BLOCK_NORM_EPS));
  h = g.add(p.module('attn1', (m) => diffusersAttention(m, n1, n1, { ...attention, contextDim: dim })), h);
  const n2 = p.module('norm2', (m) => layerNorm(m, h, dim, BLOCK_NORM_EPS));
  h = g.add(p.module('attn2', (m) => diffusersAttention(m, n2, context, { ...attention, contextDim: o.crossAttentionDim })), h);
  const n3 = p.module('norm3', (m) => layerNorm(m, h, dim, BLOCK_NORM_EPS));
  return g.add(p.module('ff', (m) => feedForward(m, n3, { dim, inner: 4 * dim, ...variant })), h);
}

/** Transformer2DModel on x [B, C, H, W] with encoder_hidden_states `context` [B, T, crossAttentionDim]. */
export function transformer2DModel(p: Params, x: string, context: string, o: TransformerOptions): string {
  const g = p.g;
  const c = o.channels;
  const variant = o.variant === undefined ? {} : { variant: o.variant };
  const normed = p.module('norm', (m) => groupNorm(m, x, c, { groups: o.groups, epsilon: TRANSFORMER_NORM_EPS, ...variant }));
  // [B, C, H, W] → [B, H·W, C]
  const toTokens = (t: string): string => g.transpose(g.reshape(t, [0, 0, -1]), [0, 2, 1]);
  let h = o.linearProjection
    ? p.module('proj_in', (m) => linear(m, toTokens(normed), c, c))
    : toTokens(p.module('proj_in', (m) => conv2d(m, normed, c, c, 1)));
  for (let d = 0; d < o.depth; d++) {
    const input = h;
    h = p.module(`transformer_blocks.${d}`, (m) => basicTransformerBlock(m, input, context, o));
  }
  const toImage = (t: string): string => g.reshape(g.transpose(t, [0, 2, 1]), g.shape(x));
  const out = o.linearProjection
    ? toImage(p.module('proj_out', (m) => linear(m, h, c, c)))
    : p.module('proj_out', (m) => conv2d(m, toImage(h), c, c, 1));
  return g.add(out, x);
}
