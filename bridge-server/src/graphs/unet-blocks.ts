/**
 * The UNet's blocks as diffusers writes them: CrossAttnDownBlock2D / DownBlock2D (resnets, each
 * followed by a Transformer2DModel in the cross-attention kind, then a stride-2 conv), the
 * UNetMidBlock2DCrossAttn (resnet, transformer, resnet) and CrossAttnUpBlock2D / UpBlock2D (each
 * resnet takes the running features concatenated with one skip connection, newest first; then a
 * nearest ×2 upsample and a conv).
 */
import { conv2d } from './layers.js';
import type { GraphVariant } from './norms.js';
import type { Params } from './params.js';
import { downsample2D, resnetBlock2D } from './resnet.js';
import type { UnetArchitecture } from './unet-architecture.js';
import { transformer2DModel } from './unet-transformer.js';

/** A feature map and its channel count. */
export interface Features {
  value: string;
  channels: number;
}

export interface BlockInputs {
  arch: UnetArchitecture;
  /** The time embedding [B or 1, timeEmbedDim] every resnet projects. */
  temb: string;
  /** encoder_hidden_states [B, T, crossAttentionDim]. */
  context: string;
  variant?: GraphVariant;
}

function resnet(parent: Params, name: string, x: Features, outChannels: number, b: BlockInputs): Features {
  const value = parent.module(name, (p) => resnetBlock2D(p, x.value, {
    inChannels: x.channels,
    outChannels,
    groups: b.arch.groups,
    epsilon: b.arch.normEps,
    temb: { value: b.temb, channels: b.arch.timeEmbedDim },
    ...(b.variant === undefined ? {} : { variant: b.variant }),
  }));
  return { value, channels: outChannels };
}

function transformer(parent: Params, name: string, x: Features, heads: number, depth: number, b: BlockInputs): Features {
  const value = parent.module(name, (p) => transformer2DModel(p, x.value, b.context, {
    channels: x.channels,
    heads,
    depth,
    crossAttentionDim: b.arch.crossAttentionDim,
    linearProjection: b.arch.linearProjection,
    groups: b.arch.groups,
    upcastAttention: b.arch.upcastAttention,
    ...(b.variant === undefined ? {} : { variant: b.variant }),
  }));
  return { value, channels: x.channels };
}

/**
 * Down block `level`: returns its output and appends to `skips` what the up path will take
 * (every resnet/attention output, then the downsampled map).
 */
export function downBlock(p: Params, x: Features, level: number, b: BlockInputs, skips: Features[]): Features {
  const { arch } = b;
  const out = arch.blockOutChannels[level] ?? 0;
  const depths = arch.downDepths[level] ?? [];
  let h = x;
  for (let j = 0; j < (arch.layersPerBlock[level] ?? 0); j++) {
    h = resnet(p, `resnets.${j}`, h, out, b);
    const depth = depths[j];
    if (depth !== undefined) h = transformer(p, `attentions.${j}`, h, arch.heads[level] ?? 1, depth, b);
    skips.push(h);
  }
  if (level < arch.blockOutChannels.length - 1) {
    const input = h.value;
    h = { value: p.module('downsamplers.0', (m) => downsample2D(m, input, out, 1)), channels: out };
    skips.push(h);
  }
  return h;
}

/** UNetMidBlock2DCrossAttn: resnets.0 → attentions.0 → resnets.1, at the last level's width. */
export function midBlock(p: Params, x: Features, b: BlockInputs): Features {
  const { arch } = b;
  let h = resnet(p, 'resnets.0', x, x.channels, b);
  h = transformer(p, 'attentions.0', h, arch.heads[arch.heads.length - 1] ?? 1, arch.midDepth, b);
  return resnet(p, 'resnets.1', h, x.channels, b);
}

/**
 * Upsample2D (use_conv): nearest-neighbour interpolation to the spatial size of `like` (the skip
 * connection the next up block takes first), then a 3×3 conv. For sides divisible by the UNet's
 * total stride this is exactly ×2; for other sides it is diffusers' `forward_upsample_size` path
 * (interpolate to the skip's size), so any latent size runs.
 */
export function upsample2DLike(p: Params, x: Features, like: string): Features {
  const g = p.g;
  const sizes = g.concat([g.slice(g.shape(x.value), [0], [2], [0]), g.slice(g.shape(like), [2], [4], [0])], 0);
  const resized = g.op('Resize', [x.value, '', '', sizes], {
    mode: 'nearest',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
  return { value: p.module('conv', (m) => conv2d(m, resized, x.channels, x.channels, 3)), channels: x.channels };
}

/** Up block `index` (level = levels - 1 - index): pops one skip per resnet from `skips`. */
export function upBlock(p: Params, x: Features, index: number, b: BlockInputs, skips: Features[]): Features {
  const { arch } = b;
  const levels = arch.blockOutChannels.length;
  const level = levels - 1 - index;
  const out = arch.blockOutChannels[level] ?? 0;
  const depths = arch.upDepths[index] ?? [];
  let h = x;
  for (let j = 0; j < (arch.layersPerBlock[level] ?? 0) + 1; j++) {
    const skip = skips.pop();
    if (skip === undefined) throw new RangeError(`up block ${index}: no skip connection left for layer ${j}`);
    const joined: Features = { value: p.g.concat([h.value, skip.value], 1), channels: h.channels + skip.channels };
    h = resnet(p, `resnets.${j}`, joined, out, b);
    const depth = depths[j];
    if (depth !== undefined) h = transformer(p, `attentions.${j}`, h, arch.heads[level] ?? 1, depth, b);
  }
  const next = skips[skips.length - 1];
  if (index === levels - 1) return h;
  if (next === undefined) throw new RangeError(`up block ${index}: no skip connection to size its upsampler`);
  const input = h;
  return p.module('upsamplers.0', (m) => upsample2DLike(m, input, next.value));
}
