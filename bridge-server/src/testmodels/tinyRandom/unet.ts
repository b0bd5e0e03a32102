/**
 * Tiny UNet2DConditionModel: sinusoidal timestep projection + MLP, conv_in, three levels
 * (DownBlock2D, then two CrossAttnDownBlock2D), a cross-attention mid block, the mirrored up path
 * with Concat skip connections and nearest+conv upsampling, then norm/SiLU/conv_out.
 */
import type { FloatType } from '../../onnx/graph-builder.js';
import type { TimestepType } from '../oracle/models.js';
import { OpBuilder } from '../../onnx/ops.js';
import { Prng } from '../prng.js';
import { Layers } from './layers.js';

export const TINY_UNET = { blockChannels: [32, 32, 64], attention: [false, true, true], groups: 8, headDim: 16, timeDim: 128 } as const;

export interface TinyUnetOptions {
  floatType: FloatType;
  timestepType: TimestepType;
  inChannels: number;
  contextDim: number;
  seed: number;
}

/** diffusers Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0) in float32, then cast to the model type. */
function timestepProjection(g: OpBuilder, timestep: string, dim: number, floatType: FloatType): string {
  const half = dim / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const t = g.unsqueeze(g.reshape(g.cast(timestep, 'float32'), [-1]), [1]);
  const args = g.mul(t, g.constant('float32', freqs, [1, half]));
  const emb = g.concat([g.cos(args), g.sin(args)], -1);
  return floatType === 'float32' ? emb : g.cast(emb, floatType);
}

export function tinyUnet(o: TinyUnetOptions): OpBuilder {
  const g = new OpBuilder('tiny_unet', o.floatType);
  const nn = new Layers(g, new Prng(o.seed));
  const { blockChannels, attention, groups, headDim, timeDim } = TINY_UNET;
  const c0 = blockChannels[0];
  const sample = g.input('sample', o.floatType, ['batch', 'channels', 'height', 'width']);
  const timestep = g.input('timestep', o.timestepType, o.timestepType === 'int64' ? ['batch'] : [1]);
  const context = g.input('encoder_hidden_states', o.floatType, ['batch', 'sequence', o.contextDim]);

  const tembValue = g.scope('time_embedding', () => {
    const projected = timestepProjection(g, timestep, c0, o.floatType);
    return nn.linear(g.silu(nn.linear(projected, c0, timeDim, 'linear_1')), timeDim, timeDim, 'linear_2');
  });
  const temb = { value: tembValue, dim: timeDim };

  const transformer = (x: string, channels: number, name: string): string =>
    g.scope(name, () => {
      const inner = nn.conv(nn.groupNorm(x, channels, groups, 'norm', 1e-6), channels, channels, 1, 'proj_in');
      let h = nn.toTokens(inner);
      const heads = channels / headDim;
      g.scope('transformer_blocks.0', () => {
        const n1 = nn.layerNorm(h, channels, 'norm1');
        h = g.add(h, nn.attention(n1, n1, channels, channels, 'attn1', { heads, qkvBias: false }));
        h = g.add(h, nn.attention(nn.layerNorm(h, channels, 'norm2'), context, channels, o.contextDim, 'attn2', { heads, qkvBias: false }));
        const projected = nn.linear(nn.layerNorm(h, channels, 'norm3'), channels, 8 * channels, 'ff.net.0.proj');
        const [value, gate] = g.split2(projected, 4 * channels, 4 * channels, -1);
        h = g.add(h, nn.linear(g.mul(value, g.gelu(gate)), 4 * channels, channels, 'ff.net.2'));
      });
      return g.add(nn.conv(nn.fromTokens(h, x), channels, channels, 1, 'proj_out'), x);
    });

  let x = nn.conv(sample, o.inChannels, c0, 3, 'conv_in');
  const skips: { value: string; channels: number }[] = [{ value: x, channels: c0 }];
  let channels: number = c0;
  blockChannels.forEach((out, level) => {
    g.scope(`down_blocks.${level}`, () => {
      x = nn.resnet(x, channels, out, groups, 'resnets.0', temb);
      channels = out;
      if (attention[level] === true) x = transformer(x, out, 'attentions.0');
      skips.push({ value: x, channels });
      if (level < blockChannels.length - 1) {
        x = nn.downsample(x, out, 'downsamplers.0');
        skips.push({ value: x, channels });
      }
    });
  });

  g.scope('mid_block', () => {
    x = nn.resnet(x, channels, channels, groups, 'resnets.0', temb);
    x = transformer(x, channels, 'attentions.0');
    x = nn.resnet(x, channels, channels, groups, 'resnets.1', temb);
  });

  [...blockChannels].reverse().forEach((out, i) => {
    const level = blockChannels.length - 1 - i;
    g.scope(`up_blocks.${i}`, () => {
      for (let j = 0; j < 2; j++) {
        const skip = skips.pop();
        if (skip === undefined) throw new Error('tiny UNet: skip connections out of balance');
        x = nn.resnet(g.concat([x, skip.value], 1), channels + skip.channels, out, groups, `resnets.${j}`, temb);
        channels = out;
        if (attention[level] === true) x = transformer(x, out, `attentions.${j}`);
      }
      if (level > 0) x = nn.upsample(x, out, 'upsamplers.0');
    });
  });

  const normed = g.silu(nn.groupNorm(x, channels, groups, 'conv_norm_out'));
  const out = nn.conv(normed, channels, 4, 3, 'conv_out');
  g.output(out, 'out_sample', o.floatType, ['batch', 4, 'height', 'width']);
  return g;
}
