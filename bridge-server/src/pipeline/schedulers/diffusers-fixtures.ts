/**
 * diffusers' SchedulerCommonTest fixtures (tests/schedulers/test_schedulers.py), for our tests:
 * the deterministic sample and noise, the dummy model and the result figures.
 */
import assert from 'node:assert/strict';
import type { NoiseGenerator, Scheduler } from './types.js';

const SHAPE = { batch: 4, channels: 3, height: 8, width: 8 } as const;
export const NUM_ELEMS = SHAPE.batch * SHAPE.channels * SHAPE.height * SHAPE.width;

/**
 * torch.arange(n).reshape(C, H, W, B) / n, permuted to (B, C, H, W); `flip` reverses the arange
 * first (dummy_noise_deter). Element (b, c, h, w) holds the arange value at ((c·H + h)·W + w)·B + b.
 */
function deterministic(flip: boolean): Float32Array {
  const { batch, channels, height, width } = SHAPE;
  const out = new Float32Array(NUM_ELEMS);
  let i = 0;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      for (let h = 0; h < height; h++) {
        for (let w = 0; w < width; w++) {
          const source = ((c * height + h) * width + w) * batch + b;
          out[i++] = (flip ? NUM_ELEMS - 1 - source : source) / NUM_ELEMS;
        }
      }
    }
  }
  return out;
}

/** dummy_sample_deter */
export const dummySampleDeter = (): Float32Array => deterministic(false);
/** dummy_noise_deter */
export const dummyNoiseDeter = (): Float32Array => deterministic(true);

/** dummy_model: sample · t / (t + 1) in float32. */
export function dummyModel(sample: Float32Array, t: number): Float32Array {
  const tf = Math.fround(t);
  const denom = Math.fround(tf + 1);
  return sample.map((v) => Math.fround(v * tf) / denom);
}

export function scaled(x: Float32Array, factor: number): Float32Array {
  const f = Math.fround(factor);
  return x.map((v) => v * f);
}

export interface Figures {
  sum: number;
  mean: number;
}

/** result_sum = sum(|x|), result_mean = mean(|x|). */
export function figures(x: Float32Array): Figures {
  let sum = 0;
  for (const v of x) sum += Math.abs(v);
  return { sum, mean: sum / x.length };
}

/** diffusers' assertion `abs(result - expected) < tol` for each figure given. */
export function assertFigures(
  x: Float32Array,
  expected: { sum?: number; mean?: number },
  tol: { sum?: number; mean?: number } = {},
): void {
  const got = figures(x);
  assert.ok(!x.some(Number.isNaN), 'result has NaN values');
  if (expected.sum !== undefined) {
    const t = tol.sum ?? 1e-2;
    assert.ok(Math.abs(got.sum - expected.sum) < t, `result_sum ${got.sum} vs diffusers' ${expected.sum} (tolerance ${t})`);
  }
  if (expected.mean !== undefined) {
    const t = tol.mean ?? 1e-3;
    assert.ok(Math.abs(got.mean - expected.mean) < t, `result_mean ${got.mean} vs diffusers' ${expected.mean} (tolerance ${t})`);
  }
}

/** The loop of the DDIM/PNDM/DPM/UniPC/LCM tests: model on the raw sample, no input scaling. */
export function plainLoop(s: Scheduler, sample: Float32Array, timesteps: readonly number[] = s.timesteps, gen?: NoiseGenerator): Float32Array {
  let x = sample;
  for (const t of timesteps) x = s.step(dummyModel(x, t), t, x, gen).prevSample;
  return x;
}

/**
 * The loop of the Euler/LMS/Heun tests: `sample = scale_model_input(sample, t)` replaces the sample
 * that step() then receives, exactly as those tests write it.
 */
export function scaledLoop(s: Scheduler, sample: Float32Array, timesteps: readonly number[] = s.timesteps, gen?: NoiseGenerator): Float32Array {
  let x = sample;
  for (const t of timesteps) {
    x = s.scaleModelInput(x, t);
    x = s.step(dummyModel(x, t), t, x, gen).prevSample;
  }
  return x;
}

/** A seeded stand-in generator (xorshift + Box–Muller) for tests that need noise but no torch figures. */
export class StubGenerator implements NoiseGenerator {
  calls: number[][] = [];
  private state: number;

  constructor(seed = 1) {
    this.state = seed >>> 0 || 1;
  }

  private uniform(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return (this.state + 0.5) / 2 ** 32;
  }

  randn(shape: readonly number[]): Float32Array {
    this.calls.push([...shape]);
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
    return out;
  }
}
