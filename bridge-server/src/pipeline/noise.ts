import { TorchGenerator } from '../random/torch-generator.js';
import type { NoiseGenerator } from './schedulers/types.js';

/**
 * Draws noise for a batch the way diffusers' randn_tensor does. With one generator the whole batch
 * comes from one stream; with a generator per image ('per-image' seeds, diffusers' generator list),
 * each image's slice comes from its own stream, so image i equals a batch-1 run with seed+i.
 */
export class BatchNoise implements NoiseGenerator {
  private readonly generators: TorchGenerator[];

  constructor(seed: number, batch: number, mode: 'per-image' | 'shared') {
    const count = mode === 'shared' ? 1 : batch;
    this.generators = Array.from({ length: count }, (_, i) => new TorchGenerator(seed + i));
  }

  randn(shape: readonly number[]): Float32Array {
    const first = this.generators[0];
    if (this.generators.length === 1 && first) return first.randn(shape);
    const total = shape.reduce((a, b) => a * b, 1);
    const per = total / this.generators.length;
    const out = new Float32Array(total);
    this.generators.forEach((g, i) => out.set(g.randn([per]), i * per));
    return out;
  }
}

/** A second seed whose noise the initial noise is pulled towards ("variation seed" in A1111). */
export interface Variation {
  seed: number;
  /** 0: the main seed's noise; 1: the variation seed's noise; between: spherical interpolation. */
  strength: number;
}

/** Linear interpolation a + t·(b − a) computed as (1−t)·a + t·b, exact at t = 0 and t = 1. */
export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  if (t === 0) return a.slice();
  if (t === 1) return b.slice();
  const out = new Float32Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = (1 - t) * (a[i] as number) + t * (b[i] as number);
  return out;
}

/**
 * Spherical interpolation between two noise tensors. Gaussian noise lives near a sphere, so a
 * straight lerp would shrink its norm mid-way (washed-out images); slerp keeps it. Nearly parallel
 * inputs fall back to lerp. t = 0 and t = 1 return exact copies of a and b.
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  if (t <= 0) return a.slice();
  if (t >= 1) return b.slice();
  let aa = 0;
  let bb = 0;
  let ab = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    aa += x * x;
    bb += y * y;
    ab += x * y;
  }
  const dot = ab / Math.sqrt(aa * bb);
  if (!Number.isFinite(dot) || Math.abs(dot) > 0.9995) return lerp(a, b, t);
  const omega = Math.acos(dot);
  const so = Math.sin(omega);
  const ka = Math.sin((1 - t) * omega) / so;
  const kb = Math.sin(t * omega) / so;
  const out = new Float32Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = ka * (a[i] as number) + kb * (b[i] as number);
  return out;
}

/** Slerps each image of a [batch, ...] tensor separately. */
export function slerpPerImage(a: Float32Array, b: Float32Array, t: number, batch: number): Float32Array {
  if (batch <= 1) return slerp(a, b, t);
  const per = a.length / batch;
  const out = new Float32Array(a.length);
  for (let i = 0; i < batch; i++) {
    out.set(slerp(a.subarray(i * per, (i + 1) * per), b.subarray(i * per, (i + 1) * per), t), i * per);
  }
  return out;
}

/**
 * The unscaled initial noise of a run: the main generators' draw, pulled towards the variation
 * seed's draw when a variation is asked for. The variation seed follows the same per-image rule
 * as the main seed (image i: variation seed + i), as A1111 does. The scheduler's later noise keeps
 * coming from `noise`, the main seed's generators.
 */
export function initialNoise(
  noise: BatchNoise,
  shape: readonly [number, number, number, number],
  params: { seedMode: 'per-image' | 'shared'; variation?: Variation | undefined },
): Float32Array {
  const main = noise.randn(shape);
  const v = params.variation;
  if (v === undefined || v.strength === 0) return main;
  const other = new BatchNoise(v.seed, shape[0], params.seedMode).randn(shape);
  return slerpPerImage(main, other, v.strength, shape[0]);
}
