/**
 * Tiny AutoencoderKL halves: ResNet blocks, a single-head self-attention mid block, ×2 nearest+conv
 * upsampling (decoder) or stride-2 convs padded bottom/right (encoder), three times each (×8).
 */
import type { FloatType } from '../../onnx/graph-builder.js';
import type { VaeEncoderOutput } from '../oracle/models.js';
import { OpBuilder } from '../../onnx/ops.js';
import { Prng } from '../prng.js';
import { Layers } from './layers.js';

/** An AutoencoderKL shape: channels per level in encoder order (full resolution first). */
export interface RandomVaeArch {
  readonly blockChannels: readonly number[];
  readonly groups: number;
  /** ResNet blocks per encoder level; the decoder has one more per level, as diffusers' does. */
  readonly layersPerBlock: number;
  /** diffusers' mid_block_add_attention; default true. */
  readonly midAttention?: boolean;
}

/** Encoder order, as in diffusers' config: full resolution first. One ResNet per level on both sides. */
export const TINY_VAE = { blockChannels: [8, 16, 32, 32], groups: 4, layersPerBlock: 1 } as const;

/** Stable Diffusion's AutoencoderKL shape (SD 1.x/2.x/XL): 83.6 M parameters with random weights. */
export const SD_VAE: RandomVaeArch = { blockChannels: [128, 256, 512, 512], groups: 32, layersPerBlock: 2 };

function midBlock(nn: Layers, x: string, channels: number, groups: number, attention = true): string {
  const g = nn.g;
  return g.scope('mid_block', () => {
    let h = nn.resnet(x, channels, channels, groups, 'resnets.0');
    if (attention) h = g.scope('attentions.0', () => {
      const tokens = nn.toTokens(nn.groupNorm(h, channels, groups, 'group_norm', 1e-6));
      const attended = nn.attention(tokens, tokens, channels, channels, 'attn', { heads: 1, qkvBias: true });
      return g.add(nn.fromTokens(attended, h), h);
    });
    return nn.resnet(h, channels, channels, groups, 'resnets.1');
  });
}

export function tinyVaeDecoder(floatType: FloatType, seed: number): OpBuilder {
  return randomVaeDecoder(TINY_VAE, floatType, seed, 1);
}

/** A decoder of the given shape; `resnetsPerLevel` defaults to diffusers' layers_per_block + 1. */
export function randomVaeDecoder(arch: RandomVaeArch, floatType: FloatType, seed: number, resnetsPerLevel = arch.layersPerBlock + 1): OpBuilder {
  const g = new OpBuilder('tiny_vae_decoder', floatType);
  const nn = new Layers(g, new Prng(seed));
  const groups = arch.groups;
  const levels = [...arch.blockChannels].reverse();
  const top = levels[0] ?? 32;
  const latent = g.input('latent_sample', floatType, ['batch', 4, 'height', 'width']);
  let x = nn.conv(nn.conv(latent, 4, 4, 1, 'post_quant_conv'), 4, top, 3, 'decoder.conv_in');
  let channels = top;
  g.scope('decoder', () => {
    x = midBlock(nn, x, channels, groups, arch.midAttention);
    levels.forEach((out, i) => {
      g.scope(`up_blocks.${i}`, () => {
        for (let j = 0; j < resnetsPerLevel; j++) {
          x = nn.resnet(x, channels, out, groups, `resnets.${j}`);
          channels = out;
        }
        if (i < levels.length - 1) x = nn.upsample(x, out, 'upsamplers.0');
      });
    });
    x = nn.conv(g.silu(nn.groupNorm(x, channels, groups, 'conv_norm_out', 1e-6)), channels, 3, 3, 'conv_out');
  });
  g.output(x, 'sample', floatType, ['batch', 3, 'image_height', 'image_width']);
  return g;
}

/**
 * 'latent_sample' draws from the diagonal Gaussian inside the graph (RandomNormalLike with a
 * fixed seed), as diffusers' export script does; 'latent_parameters' returns mean and logvar.
 */
export function tinyVaeEncoder(floatType: FloatType, output: VaeEncoderOutput, seed: number): OpBuilder {
  return randomVaeEncoder(TINY_VAE, floatType, output, seed);
}

export function randomVaeEncoder(arch: RandomVaeArch, floatType: FloatType, output: VaeEncoderOutput, seed: number): OpBuilder {
  const g = new OpBuilder('tiny_vae_encoder', floatType);
  const nn = new Layers(g, new Prng(seed));
  const groups = arch.groups;
  const levels = arch.blockChannels;
  const first = levels[0] ?? 8;
  const image = g.input('sample', floatType, ['batch', 3, 'height', 'width']);
  let x = nn.conv(image, 3, first, 3, 'encoder.conv_in');
  let channels: number = first;
  g.scope('encoder', () => {
    levels.forEach((out, i) => {
      g.scope(`down_blocks.${i}`, () => {
        for (let j = 0; j < arch.layersPerBlock; j++) {
          x = nn.resnet(x, channels, out, groups, `resnets.${j}`);
          channels = out;
        }
        if (i < levels.length - 1) x = nn.downsample(x, out, 'downsamplers.0', true);
      });
    });
    x = midBlock(nn, x, channels, groups, arch.midAttention);
    x = nn.conv(g.silu(nn.groupNorm(x, channels, groups, 'conv_norm_out', 1e-6)), channels, 8, 3, 'conv_out');
  });
  const moments = nn.conv(x, 8, 8, 1, 'quant_conv');
  if (output === 'latent_parameters') {
    g.output(moments, 'latent_parameters', floatType, ['batch', 8, 'latent_height', 'latent_width']);
    return g;
  }
  const [mean, logvar] = g.split2(moments, 4, 4, 1);
  const std = g.exp(g.scale(g.clip(logvar, -30, 20), 0.5));
  const latent = g.add(mean, g.mul(std, g.randomNormalLike(mean, 0)));
  g.output(latent, 'latent_sample', floatType, ['batch', 4, 'latent_height', 'latent_width']);
  return g;
}
