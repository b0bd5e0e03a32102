/**
 * torch.nn.Linear and torch.nn.Conv2d over imported weights, written as torch.onnx writes them
 * (MatMul against the transposed weight + Add; one Conv node). Each takes the Params of its own
 * module ("…to_q", "…conv1") and checks the weights' shapes against the sizes the caller expects.
 */
import type { Params } from './params.js';

/** y = x · Wᵀ + b for x [..., inFeatures]. */
export function linear(p: Params, x: string, inFeatures: number, outFeatures: number, bias = true): string {
  const g = p.g;
  const y = g.matmul(x, p.linearWeight('weight', outFeatures, inFeatures));
  return bias ? g.add(y, p.tensor('bias', [outFeatures])) : y;
}

export interface Conv2dOptions {
  stride?: number;
  /** [top, left, bottom, right]; default: (kernel - 1) / 2 on every side, torch's `padding=k//2`. */
  pads?: readonly [number, number, number, number];
}

/** A k×k Conv2d with bias on x [B, inChannels, H, W]. */
export function conv2d(p: Params, x: string, inChannels: number, outChannels: number, kernel: number, options: Conv2dOptions = {}): string {
  const pad = (kernel - 1) / 2;
  const stride = options.stride ?? 1;
  const weight = p.tensor('weight', [outChannels, inChannels, kernel, kernel]);
  const bias = p.tensor('bias', [outChannels]);
  return p.g.conv(x, weight, bias, { strides: [stride, stride], pads: options.pads ?? [pad, pad, pad, pad] });
}
