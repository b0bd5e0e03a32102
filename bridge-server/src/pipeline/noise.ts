import { TorchGenerator } from '../random/torch-generator.js';
import type { NoiseGenerator } from './schedulers/types.js';

/**
 * Draws noise for a batch the way diffusers' randn_tensor does. With one generator the whole batch
 * comes from one stream; with a generator per image ('per-image' seeds, diffusers' generator list,
 * A1111's ImageRNG), each image's slice comes from its own stream, so image i equals a batch-1 run
 * with its own seed.
 */
export class BatchNoise implements NoiseGenerator {
  private generators: TorchGenerator[];

  constructor(seed: number, batch: number, mode: 'per-image' | 'shared') {
    const count = mode === 'shared' ? 1 : batch;
    this.generators = Array.from({ length: count }, (_, i) => new TorchGenerator(seed + i));
  }

  /** One generator per image with these seeds (A1111 repeats a seed across a batch with variations). */
  static forSeeds(seeds: readonly number[]): BatchNoise {
    const noise = new BatchNoise(0, 0, 'per-image');
    noise.generators = seeds.map((s) => new TorchGenerator(s));
    return noise;
  }

  /** Generators in use: 1 in shared mode, else one per image. */
  get streams(): number {
    return this.generators.length;
  }

  /** The seed stream i started from. */
  seedOf(i: number): number {
    const g = this.generators[i];
    if (g === undefined) throw new RangeError(`seedOf: no stream ${i}`);
    return Number(g.seed);
  }

  /**
   * Restarts every stream at a new seed: A1111's eta_noise_seed_delta re-creates the per-image
   * generators with seed + delta once the initial noise is drawn.
   */
  reseed(seeds: readonly number[]): void {
    if (seeds.length !== this.generators.length) throw new RangeError(`reseed: ${seeds.length} seeds for ${this.generators.length} streams`);
    this.generators = seeds.map((s) => new TorchGenerator(s));
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

/** A second seed whose noise the initial noise is pulled towards (A1111's subseed, "Variation seed"). */
export interface Variation {
  seed: number;
  /** 0: the main seed's noise; 1: the variation seed's noise; between: A1111's slerp. */
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
 * Spherical interpolation between two whole noise tensors (animation keyframes). Gaussian noise
 * lives near a sphere, so a straight lerp would shrink its norm mid-way (washed-out images); slerp
 * keeps it. Nearly parallel inputs fall back to lerp. t = 0 and t = 1 return exact copies.
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

/**
 * A1111's variation slerp (modules/rng.py `slerp(val, low, high)`) on one image's [C, H, W] noise.
 * Its norms and dot products run over dim 1 of the image tensor, the rows, so every (channel,
 * column) pair gets its own angle; when the mean cosine is above 0.9995 it falls back to
 * low·val + high·(1 − val), weights the other way round from a lerp. Both quirks are kept: they
 * are what makes a shared "Variation seed" reproduce.
 */
export function a1111Slerp(val: number, low: Float32Array, high: Float32Array, channels: number, height: number, width: number): Float32Array {
  const out = new Float32Array(low.length);
  const cols = channels * width;
  const dots = new Float64Array(cols);
  let mean = 0;
  for (let c = 0; c < channels; c++) {
    for (let x = 0; x < width; x++) {
      let ll = 0;
      let hh = 0;
      let lh = 0;
      for (let y = 0; y < height; y++) {
        const i = (c * height + y) * width + x;
        const l = low[i] as number;
        const h = high[i] as number;
        ll += l * l;
        hh += h * h;
        lh += l * h;
      }
      const dot = lh / (Math.sqrt(ll) * Math.sqrt(hh));
      dots[c * width + x] = dot;
      mean += dot;
    }
  }
  mean /= cols;
  if (mean > 0.9995) {
    const v = Math.fround(val);
    const w = Math.fround(1 - val);
    for (let i = 0; i < out.length; i++) out[i] = Math.fround((low[i] as number) * v) + Math.fround((high[i] as number) * w);
    return out;
  }
  for (let c = 0; c < channels; c++) {
    for (let x = 0; x < width; x++) {
      const omega = Math.fround(Math.acos(Math.min(1, Math.max(-1, dots[c * width + x] as number))));
      const so = Math.fround(Math.sin(omega));
      const kl = Math.fround(Math.fround(Math.sin(Math.fround((1 - val) * omega))) / so);
      const kh = Math.fround(Math.fround(Math.sin(Math.fround(val * omega))) / so);
      for (let y = 0; y < height; y++) {
        const i = (c * height + y) * width + x;
        out[i] = Math.fround(kl * (low[i] as number)) + Math.fround(kh * (high[i] as number));
      }
    }
  }
  return out;
}

/** A1111's seed_resize_from_w/h: the size, in pixels, the seed's noise was first made at. */
export interface SeedResize {
  width: number;
  height: number;
}

/** What decides an image's initial noise besides its seed (A1111's ImageRNG arguments). */
export interface InitialNoiseSpec {
  /** Per-image variation seeds; unused when strength is 0. */
  subseeds?: readonly number[];
  strength: number;
  /** Noise made at this size and pasted, centred, into the image's own noise. */
  resizeFrom?: SeedResize | undefined;
}

/**
 * A1111's ImageRNG.first() for a batch whose per-image generators are `noise`'s streams: each
 * image's noise is its generator's first draw, slerped towards a fresh draw of its subseed; with a
 * seed resize, the slerped noise is drawn at the old size from a fresh generator of the seed and
 * pasted, centred (cropped when larger), into the generator's own draw at the new size. Later draws
 * (ancestral steps) continue each image's generator, as in A1111.
 */
export function a1111InitialNoise(noise: BatchNoise, shape: readonly [number, number, number, number], spec: InitialNoiseSpec): Float32Array {
  const [batch, channels, height, width] = shape;
  const per = channels * height * width;
  const resize = spec.resizeFrom;
  const resized = resize !== undefined && resize.width > 0 && resize.height > 0;
  const nh = resized ? Math.floor(resize.height / 8) : height;
  const nw = resized ? Math.floor(resize.width / 8) : width;
  const own = noise.randn(shape);
  if (!resized && (spec.strength === 0 || spec.subseeds === undefined)) return own;
  if (noise.streams !== batch) throw new RangeError('a1111InitialNoise: A1111 noise needs one generator per image');
  const out = new Float32Array(batch * per);
  for (let b = 0; b < batch; b++) {
    const mine = own.subarray(b * per, (b + 1) * per);
    let base: Float32Array = resized ? new TorchGenerator(noise.seedOf(b)).randn([channels, nh, nw]) : mine;
    if (spec.strength !== 0 && spec.subseeds !== undefined) {
      const sub = new TorchGenerator(spec.subseeds[b] ?? 0).randn([channels, nh, nw]);
      base = a1111Slerp(spec.strength, base, sub, channels, nh, nw);
    }
    out.set(resized ? pasteCentred(mine, base, channels, height, width, nh, nw) : base, b * per);
  }
  return out;
}

/** rng.py's paste: `small` centred in a copy of `big`, cropped where it is larger. */
function pasteCentred(big: Float32Array, small: Float32Array, c: number, h: number, w: number, sh: number, sw: number): Float32Array {
  const out = big.slice();
  let dx = Math.floor((w - sw) / 2);
  let dy = Math.floor((h - sh) / 2);
  const cw = dx >= 0 ? sw : sw + 2 * dx;
  const ch = dy >= 0 ? sh : sh + 2 * dy;
  const tx = dx < 0 ? 0 : dx;
  const ty = dy < 0 ? 0 : dy;
  dx = Math.max(-dx, 0);
  dy = Math.max(-dy, 0);
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < ch; y++) {
      const src = (k * sh + dy + y) * sw + dx;
      out.set(small.subarray(src, src + cw), (k * h + ty + y) * w + tx);
    }
  }
  return out;
}

/**
 * The unscaled initial noise of a run: the main generators' draw, pulled towards the variation
 * seed's draw with A1111's slerp when a variation is asked for. The variation seed follows the same
 * per-image rule as the main seed (image i: variation seed + i), so each image reproduces alone in
 * A1111 from its own "Seed" and "Variation seed". In 'shared' mode (one generator for the batch,
 * which A1111 does not have) the variation seed's draw is one stream too, slerped image by image.
 * The scheduler's later noise keeps coming from `noise`, the main seed's generators.
 */
export function initialNoise(
  noise: BatchNoise,
  shape: readonly [number, number, number, number],
  params: { seedMode: 'per-image' | 'shared'; variation?: Variation | undefined; seedResizeFrom?: SeedResize | undefined },
): Float32Array {
  const v = params.variation;
  const resizeFrom = params.seedResizeFrom;
  const [batch, channels, height, width] = shape;
  // A seed resize is A1111's ImageRNG with or without a variation (params reject it in 'shared' mode).
  if (resizeFrom !== undefined && params.seedMode === 'per-image') {
    const strength = v?.strength ?? 0;
    const subseeds = v === undefined ? undefined : Array.from({ length: batch }, (_, i) => v.seed + i);
    return a1111InitialNoise(noise, shape, { strength, resizeFrom, ...(subseeds !== undefined ? { subseeds } : {}) });
  }
  if (v === undefined || v.strength === 0) return noise.randn(shape);
  if (params.seedMode === 'per-image') {
    return a1111InitialNoise(noise, shape, { strength: v.strength, subseeds: Array.from({ length: batch }, (_, i) => v.seed + i) });
  }
  const main = noise.randn(shape);
  const other = new BatchNoise(v.seed, batch, 'shared').randn(shape);
  const per = channels * height * width;
  const out = new Float32Array(main.length);
  for (let b = 0; b < batch; b++) {
    const span = [b * per, (b + 1) * per] as const;
    out.set(a1111Slerp(v.strength, main.subarray(...span), other.subarray(...span), channels, height, width), b * per);
  }
  return out;
}
