/**
 * Normalization layers. GroupNorm is one function with a variant switch: today the opset-17
 * pattern torch.onnx writes (Reshape → InstanceNormalization → Reshape → affine); fused kernels
 * (com.microsoft GroupNorm / SkipGroupNorm, issue 17) are added as further variants here, so every
 * model picks them up at once. The InstanceNormalization pattern is also the faster one on
 * onnxruntime 1.23's CPU provider: at UNet sizes ([2, 320, 64, 64] … [2, 1280, 8, 8], fp32 and fp16)
 * it took 0.4–1.0× the time of opset-18 GroupNormalization (+ affine) and of opset-21's
 * per-channel GroupNormalization.
 */
import { reshaped } from '../onnx/lazy-tensor.js';
import type { Params } from './params.js';

/**
 * How a block is expressed in ONNX. 'standard': plain opset-17 operators that every provider runs.
 * 'fused': onnxruntime contrib operators where onnxruntime has a kernel for them on the CPU as well
 * as on GPUs (today attention as com.microsoft MultiHeadAttention; GroupNorm stays in the
 * InstanceNormalization form, as com.microsoft GroupNorm has no CPU kernel).
 */
export type GraphVariant = 'standard' | 'fused';

export const GRAPH_VARIANTS: readonly GraphVariant[] = ['standard', 'fused'];

/**
 * The variant the importer writes. float32 (CPU) graphs: 'fused', measured by `npm run bench -- unet`
 * on a full-size SD 1.5 UNet step (512², batch 2): 0.41× the wall time and 0.83× the CPU time of the
 * MatMul-Softmax graph, and peak RSS 1.17× the weights instead of 2.4× (no 2×8×4096×4096 score
 * tensor). float16 graphs keep 'standard', whose float32 softmax is tested against torch.
 */
export function defaultVariant(floatType: 'float32' | 'float16'): GraphVariant {
  return floatType === 'float32' ? 'fused' : 'standard';
}

export interface GroupNormOptions {
  groups: number;
  epsilon: number;
  variant?: GraphVariant;
}

/**
 * torch.nn.GroupNorm(groups, channels, eps, affine=True) on x [B, C, ...]. In a float16 graph the
 * statistics are computed in float32, as torch's fp16 group_norm accumulates in float32, so large
 * VAE activations neither overflow nor lose their variance to rounding.
 */
export function groupNorm(p: Params, x: string, channels: number, o: GroupNormOptions): string {
  const g = p.g;
  if (channels % o.groups !== 0) throw new RangeError(`${p.path}: ${channels} channels do not split into ${o.groups} groups`);
  const gamma = g.param(p.name('weight'), reshaped(p.weights.get(p.name('weight'), [channels]), [channels, 1, 1]));
  const beta = g.param(p.name('bias'), reshaped(p.weights.get(p.name('bias'), [channels]), [channels, 1, 1]));
  const upcast = g.floatType === 'float16';
  const input = upcast ? g.cast(x, 'float32') : x;
  const grouped = g.reshape(input, [0, o.groups, -1]);
  const ones = g.constant('float32', new Array<number>(o.groups).fill(1));
  const zeros = g.constant('float32', new Array<number>(o.groups).fill(0));
  const normed = g.instanceNormalization(grouped, ones, zeros, o.epsilon);
  const restored = g.reshape(normed, g.shape(x));
  return g.add(g.mul(upcast ? g.cast(restored, 'float16') : restored, gamma), beta);
}

/** torch.nn.LayerNorm(channels, eps) over the last axis (LayerNormalization keeps its statistics in float32). */
export function layerNorm(p: Params, x: string, channels: number, epsilon: number): string {
  return p.g.layerNormalization(x, p.tensor('weight', [channels]), p.tensor('bias', [channels]), epsilon);
}
