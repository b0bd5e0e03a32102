/**
 * diffusers' AutoencoderKL halves as ONNX graphs, with the signatures Hugging Face optimum's
 * diffusers export writes (optimum/exporters/onnx/model_configs.py `VaeEncoderOnnxConfig`,
 * `VaeDecoderOnnxConfig`; exporters/utils.py `_get_submodels_for_export_diffusion`):
 *
 * - vae_encoder: `sample` [batch_size, in_channels, sample_height, sample_width] →
 *   `latent_parameters` [batch_size, 2·latent_channels, "sample_height / 8", "sample_width / 8"],
 *   the DiagonalGaussianDistribution's `parameters`: quant_conv(encoder(x)) = mean ‖ logvar,
 *   logvar not yet clamped (diffusers clamps it to [-30, 20] when it builds the distribution).
 * - vae_decoder: `latent_sample` [batch_size, latent_channels, latent_height, latent_width] (already
 *   divided by scaling_factor) → `sample` [batch_size, out_channels, "latent_height * 8",
 *   "latent_width * 8"]: decoder(post_quant_conv(z)).
 * - float I/O in the export's float type.
 *
 * The modules (models/autoencoders/vae.py, unets/unet_2d_blocks.py): ResnetBlock2D without a time
 * embedding (GroupNorm eps 1e-6); the mid block's attention is one head over all channels
 * (scale 1/√C) with its own GroupNorm and a residual; the encoder downsamples by padding right and
 * bottom by one, then a stride-2 3×3 conv; the decoder has layers_per_block + 1 resnets per level
 * and upsamples nearest ×2 then a 3×3 conv.
 */
import type { FloatType } from '../onnx/graph-builder.js';
import { OpBuilder } from '../onnx/ops.js';
import type { WeightSet } from '../onnx/weight-set.js';
import { diffusersAttention } from './attention.js';
import { conv2d } from './layers.js';
import { groupNorm, type GraphVariant } from './norms.js';
import { assertAllUsed, Params } from './params.js';
import { downsample2D, resnetBlock2D, upsample2D } from './resnet.js';

/** The AutoencoderKL config fields the graphs depend on (config.json names). */
export interface AutoencoderKLArchitecture {
  in_channels: number;
  out_channels: number;
  latent_channels: number;
  block_out_channels: readonly number[];
  layers_per_block: number;
  norm_num_groups: number;
  mid_block_add_attention: boolean;
  use_quant_conv: boolean;
  use_post_quant_conv: boolean;
}

export interface VaeBuildOptions {
  floatType: FloatType;
  variant?: GraphVariant;
}

const EPS = 1e-6;

interface Context {
  c: AutoencoderKLArchitecture;
  variant: GraphVariant | undefined;
}

function resnet(p: Params, x: string, inChannels: number, outChannels: number, k: Context): string {
  return resnetBlock2D(p, x, {
    inChannels,
    outChannels,
    groups: k.c.norm_num_groups,
    epsilon: EPS,
    ...(k.variant === undefined ? {} : { variant: k.variant }),
  });
}

function norm(p: Params, x: string, channels: number, k: Context): string {
  return groupNorm(p, x, channels, { groups: k.c.norm_num_groups, epsilon: EPS, ...(k.variant === undefined ? {} : { variant: k.variant }) });
}

/** diffusers Attention with group_norm and residual_connection, on [B, C, H, W], one head of C. */
function midAttention(p: Params, x: string, channels: number, k: Context): string {
  const g = p.g;
  const normed = p.module('group_norm', (m) => norm(m, x, channels, k));
  const tokens = g.transpose(g.reshape(normed, [0, 0, -1]), [0, 2, 1]);
  const attended = diffusersAttention(p, tokens, tokens, {
    queryDim: channels,
    contextDim: channels,
    heads: 1,
    headDim: channels,
    qkvBias: true,
    ...(k.variant === undefined ? {} : { variant: k.variant }),
  });
  return g.add(g.reshape(g.transpose(attended, [0, 2, 1]), g.shape(x)), x);
}

/** UNetMidBlock2D without time embedding: resnet, attention, resnet. */
function midBlock(p: Params, x: string, channels: number, k: Context): string {
  let h = p.module('resnets.0', (m) => resnet(m, x, channels, channels, k));
  if (k.c.mid_block_add_attention) h = p.module('attentions.0', (m) => midAttention(m, h, channels, k));
  return p.module('resnets.1', (m) => resnet(m, h, channels, channels, k));
}

/** norm → SiLU → conv, the output head of both halves. */
function outputHead(p: Params, x: string, channels: number, outChannels: number, k: Context): string {
  const normed = p.module('conv_norm_out', (m) => norm(m, x, channels, k));
  return p.module('conv_out', (m) => conv2d(m, p.g.silu(normed), channels, outChannels, 3));
}

function checkArchitecture(c: AutoencoderKLArchitecture): void {
  if (c.block_out_channels.length === 0) throw new RangeError('AutoencoderKL needs at least one block');
  for (const ch of c.block_out_channels) {
    if (ch % c.norm_num_groups !== 0) throw new RangeError(`AutoencoderKL: ${ch} channels do not split into ${c.norm_num_groups} groups`);
  }
}

/** Encoder: conv_in, DownEncoderBlock2D per level, mid block, head to 2·latent channels. */
function encoder(p: Params, x: string, k: Context): string {
  const c = k.c;
  const levels = c.block_out_channels;
  let channels = levels[0] ?? 0;
  let h = p.module('conv_in', (m) => conv2d(m, x, c.in_channels, channels, 3));
  levels.forEach((out, i) => {
    p.module(`down_blocks.${i}`, (block) => {
      for (let j = 0; j < c.layers_per_block; j++) {
        h = block.module(`resnets.${j}`, (m) => resnet(m, h, channels, out, k));
        channels = out;
      }
      if (i < levels.length - 1) h = block.module('downsamplers.0', (m) => downsample2D(m, h, out, 0));
    });
  });
  h = p.module('mid_block', (m) => midBlock(m, h, channels, k));
  return outputHead(p, h, channels, 2 * c.latent_channels, k);
}

/** Decoder: conv_in, mid block, UpDecoderBlock2D per level (widest first), head to image channels. */
function decoder(p: Params, z: string, k: Context): string {
  const c = k.c;
  const levels = [...c.block_out_channels].reverse();
  let channels = levels[0] ?? 0;
  let h = p.module('conv_in', (m) => conv2d(m, z, c.latent_channels, channels, 3));
  h = p.module('mid_block', (m) => midBlock(m, h, channels, k));
  levels.forEach((out, i) => {
    p.module(`up_blocks.${i}`, (block) => {
      for (let j = 0; j <= c.layers_per_block; j++) {
        h = block.module(`resnets.${j}`, (m) => resnet(m, h, channels, out, k));
        channels = out;
      }
      if (i < levels.length - 1) h = block.module('upsamplers.0', (m) => upsample2D(m, h, out));
    });
  });
  return outputHead(p, h, channels, c.out_channels, k);
}

function scaleFactor(c: AutoencoderKLArchitecture): number {
  return 2 ** (c.block_out_channels.length - 1);
}

function unusedUnder(weights: WeightSet, prefixes: readonly string[]): string[] {
  return weights.unused().filter((n) => prefixes.some((p) => n.startsWith(p)));
}

export function buildVaeEncoder(config: AutoencoderKLArchitecture, weights: WeightSet, o: VaeBuildOptions): OpBuilder {
  checkArchitecture(config);
  const g = new OpBuilder('vae_encoder', o.floatType);
  const root = new Params(g, weights);
  const k: Context = { c: config, variant: o.variant };
  const sample = g.input('sample', o.floatType, ['batch_size', config.in_channels, 'sample_height', 'sample_width']);
  let moments = root.module('encoder', (p) => encoder(p, sample, k));
  const latent = 2 * config.latent_channels;
  if (config.use_quant_conv) moments = root.module('quant_conv', (p) => conv2d(p, moments, latent, latent, 1));
  const f = scaleFactor(config);
  g.output(moments, 'latent_parameters', o.floatType, ['batch_size', latent, `sample_height / ${f}`, `sample_width / ${f}`]);
  assertAllUsed(unusedUnder(weights, ['encoder.', 'quant_conv.']), 'vae_encoder');
  return g;
}

export function buildVaeDecoder(config: AutoencoderKLArchitecture, weights: WeightSet, o: VaeBuildOptions): OpBuilder {
  checkArchitecture(config);
  const g = new OpBuilder('vae_decoder', o.floatType);
  const root = new Params(g, weights);
  const k: Context = { c: config, variant: o.variant };
  const latents = config.latent_channels;
  let z = g.input('latent_sample', o.floatType, ['batch_size', latents, 'latent_height', 'latent_width']);
  if (config.use_post_quant_conv) z = root.module('post_quant_conv', (p) => conv2d(p, z, latents, latents, 1));
  const image = root.module('decoder', (p) => decoder(p, z, k));
  const f = scaleFactor(config);
  g.output(image, 'sample', o.floatType, ['batch_size', config.out_channels, `latent_height * ${f}`, `latent_width * ${f}`]);
  assertAllUsed(unusedUnder(weights, ['decoder.', 'post_quant_conv.']), 'vae_decoder');
  return g;
}
