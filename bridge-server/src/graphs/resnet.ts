/**
 * diffusers' convolutional blocks shared by the UNet and the VAE: ResnetBlock2D (with a time
 * embedding in the UNet, without in the VAE), Downsample2D and Upsample2D.
 */
import { conv2d, linear } from './layers.js';
import { groupNorm, type GraphVariant } from './norms.js';
import type { Params } from './params.js';

export interface ResnetOptions {
  inChannels: number;
  outChannels: number;
  groups: number;
  /** GroupNorm eps: 1e-5 in the UNet, 1e-6 in the VAE. */
  epsilon: number;
  /** The UNet's time embedding [B, tembChannels] before its SiLU; absent in the VAE. */
  temb?: { value: string; channels: number };
  variant?: GraphVariant;
}

/**
 * ResnetBlock2D (time_embedding_norm "default", output_scale_factor 1):
 * conv1(silu(norm1(x))) (+ time_emb_proj(silu(temb))), conv2(silu(norm2(h))), plus x (through the
 * 1×1 conv_shortcut when the channel count changes).
 */
export function resnetBlock2D(p: Params, x: string, o: ResnetOptions): string {
  const g = p.g;
  const norm = (name: string, value: string, channels: number) =>
    p.module(name, (m) => groupNorm(m, value, channels, { groups: o.groups, epsilon: o.epsilon, ...(o.variant === undefined ? {} : { variant: o.variant }) }));
  let h = norm('norm1', x, o.inChannels);
  h = p.module('conv1', (m) => conv2d(m, g.silu(h), o.inChannels, o.outChannels, 3));
  const temb = o.temb;
  if (temb !== undefined) {
    const projected = p.module('time_emb_proj', (m) => linear(m, g.silu(temb.value), temb.channels, o.outChannels));
    h = g.add(h, g.unsqueeze(projected, [2, 3]));
  }
  h = norm('norm2', h, o.outChannels);
  h = p.module('conv2', (m) => conv2d(m, g.silu(h), o.outChannels, o.outChannels, 3));
  const shortcut = o.inChannels === o.outChannels ? x : p.module('conv_shortcut', (m) => conv2d(m, x, o.inChannels, o.outChannels, 1));
  return g.add(shortcut, h);
}

/**
 * Downsample2D with a conv: a 3×3 stride-2 conv. padding 1 (the UNet) pads every side; padding 0
 * (the VAE encoder) pads only right and bottom by one, as diffusers' F.pad(x, (0, 1, 0, 1)) and
 * LDM's Downsample do.
 */
export function downsample2D(p: Params, x: string, channels: number, padding: 0 | 1): string {
  const pads: readonly [number, number, number, number] = padding === 1 ? [1, 1, 1, 1] : [0, 0, 1, 1];
  return p.module('conv', (m) => conv2d(m, x, channels, channels, 3, { stride: 2, pads }));
}

/** Upsample2D with a conv: nearest-neighbour ×2, then a 3×3 conv. */
export function upsample2D(p: Params, x: string, channels: number): string {
  return p.module('conv', (m) => conv2d(m, p.g.upsampleNearest(x, 2), channels, channels, 3));
}
