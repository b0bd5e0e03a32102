/**
 * Building blocks shared by the tiny-random CLIP, UNet and VAE: each creates its parameters
 * (seeded normal init scaled by 1/sqrt(fan_in), so activations stay O(1)) and returns the
 * output value name. Operator patterns follow what torch.onnx writes for the diffusers modules.
 */
import type { OpBuilder } from '../../onnx/ops.js';
import type { Prng } from '../prng.js';

export interface AttentionOptions {
  heads: number;
  /** CLIP and the VAE have q/k/v biases; the UNet's attention does not. */
  qkvBias: boolean;
  /** An additive [S, T] mask, e.g. CLIP's causal mask. */
  mask?: string;
}

export class Layers {
  constructor(
    readonly g: OpBuilder,
    private readonly rng: Prng,
  ) {}

  param(name: string, dims: readonly number[], std: number, mean = 0): string {
    const count = dims.reduce((a, b) => a * b, 1);
    return this.g.weight(name, dims, this.rng.normals(count, std, mean));
  }

  /** x @ W + b with W stored [in, out], as exported Linear layers are. */
  linear(x: string, inFeatures: number, outFeatures: number, name: string, bias = true, gain = 1): string {
    const y = this.g.matmul(x, this.param(`${name}.weight`, [inFeatures, outFeatures], gain / Math.sqrt(inFeatures)));
    return bias ? this.g.add(y, this.param(`${name}.bias`, [outFeatures], 0.02)) : y;
  }

  conv(
    x: string,
    inChannels: number,
    outChannels: number,
    kernel: number,
    name: string,
    options: { stride?: number; pads?: readonly [number, number, number, number]; gain?: number } = {},
  ): string {
    const p = (kernel - 1) / 2;
    const std = (options.gain ?? 1) / Math.sqrt(inChannels * kernel * kernel);
    const weight = this.param(`${name}.weight`, [outChannels, inChannels, kernel, kernel], std);
    const bias = this.param(`${name}.bias`, [outChannels], 0.02);
    const stride = options.stride ?? 1;
    return this.g.conv(x, weight, bias, { strides: [stride, stride], pads: options.pads ?? [p, p, p, p] });
  }

  /** GroupNorm as torch.onnx writes it below opset 18: Reshape, InstanceNormalization, Reshape, affine. */
  groupNorm(x: string, channels: number, groups: number, name: string, epsilon = 1e-5): string {
    const g = this.g;
    const grouped = g.reshape(x, [0, groups, -1]);
    const normed = g.instanceNormalization(grouped, g.float(new Array<number>(groups).fill(1)), g.float(new Array<number>(groups).fill(0)), epsilon);
    const restored = g.reshape(normed, g.shape(x));
    const gamma = this.param(`${name}.weight`, [channels, 1, 1], 0.1, 1);
    const beta = this.param(`${name}.bias`, [channels, 1, 1], 0.1);
    return g.add(g.mul(restored, gamma), beta);
  }

  layerNorm(x: string, channels: number, name: string, epsilon = 1e-5): string {
    return this.g.layerNormalization(x, this.param(`${name}.weight`, [channels], 0.1, 1), this.param(`${name}.bias`, [channels], 0.1), epsilon);
  }

  /** Multi-head attention of x [B, S, dim] over context [B, T, contextDim]. */
  attention(x: string, context: string, dim: number, contextDim: number, name: string, o: AttentionOptions): string {
    const g = this.g;
    const headDim = dim / o.heads;
    return g.scope(name, () => {
      const q = this.linear(x, dim, dim, 'to_q', o.qkvBias);
      const k = this.linear(context, contextDim, dim, 'to_k', o.qkvBias);
      const v = this.linear(context, contextDim, dim, 'to_v', o.qkvBias);
      const heads = (t: string, perm: readonly number[]) => g.transpose(g.reshape(t, [0, 0, o.heads, headDim]), perm);
      const qh = g.scale(heads(q, [0, 2, 1, 3]), 1 / Math.sqrt(headDim));
      let scores = g.matmul(qh, heads(k, [0, 2, 3, 1]));
      if (o.mask !== undefined) scores = g.add(scores, o.mask);
      const mixed = g.matmul(g.softmax(scores, -1), heads(v, [0, 2, 1, 3]));
      const merged = g.reshape(g.transpose(mixed, [0, 2, 1, 3]), [0, 0, dim]);
      return this.linear(merged, dim, dim, 'to_out');
    });
  }

  /** [B, C, H, W] -> [B, H·W, C] */
  toTokens(x: string): string {
    return this.g.transpose(this.g.reshape(x, [0, 0, -1]), [0, 2, 1]);
  }

  /** [B, H·W, C] -> the shape of `like` ([B, C, H, W]) */
  fromTokens(tokens: string, like: string): string {
    return this.g.reshape(this.g.transpose(tokens, [0, 2, 1]), this.g.shape(like));
  }

  /** diffusers ResnetBlock2D; `temb` is the (un-activated) time embedding [B, tembDim] or absent (VAE). */
  resnet(x: string, inChannels: number, outChannels: number, groups: number, name: string, temb?: { value: string; dim: number }): string {
    const g = this.g;
    return g.scope(name, () => {
      let h = this.conv(g.silu(this.groupNorm(x, inChannels, groups, 'norm1')), inChannels, outChannels, 3, 'conv1');
      if (temb !== undefined) {
        const t = this.linear(g.silu(temb.value), temb.dim, outChannels, 'time_emb_proj');
        h = g.add(h, g.unsqueeze(t, [2, 3]));
      }
      h = this.conv(g.silu(this.groupNorm(h, outChannels, groups, 'norm2')), outChannels, outChannels, 3, 'conv2', { gain: 0.5 });
      const skip = inChannels === outChannels ? x : this.conv(x, inChannels, outChannels, 1, 'conv_shortcut');
      return g.add(skip, h);
    });
  }

  /** diffusers Upsample2D: nearest ×2, then a 3×3 conv. */
  upsample(x: string, channels: number, name: string): string {
    return this.g.scope(name, () => this.conv(this.g.upsampleNearest(x, 2), channels, channels, 3, 'conv'));
  }

  /** diffusers Downsample2D: a stride-2 3×3 conv; the VAE pads only bottom/right. */
  downsample(x: string, channels: number, name: string, vaePadding = false): string {
    const pads: readonly [number, number, number, number] = vaePadding ? [0, 0, 1, 1] : [1, 1, 1, 1];
    return this.g.scope(name, () => this.conv(x, channels, channels, 3, 'conv', { stride: 2, pads }));
  }
}
