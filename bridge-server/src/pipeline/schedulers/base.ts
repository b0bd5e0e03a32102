/**
 * What the scheduler classes share: the training schedule, the steps check, diffusers' step-index
 * bookkeeping (begin_index for img2img, "second occurrence" lookup for repeated timesteps) and the
 * elementwise helpers.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import type { BaseConfig } from './config.js';
import { f32, sqrtF32 } from './numeric.js';
import type { NoiseGenerator, ResolvedSchedulerConfig, Scheduler, StepResult } from './types.js';

export abstract class BaseScheduler<C extends ResolvedSchedulerConfig> implements Scheduler {
  abstract readonly className: string;
  /** The safe answer; schedulers that only read the prediction during step() say false. */
  readonly retainsModelOutput: boolean = true;
  readonly order: number = 1;
  initNoiseSigma = 1;
  timesteps: readonly number[] = [];
  numInferenceSteps: number | null = null;
  protected stepIndex: number | null = null;
  protected beginIndex: number | null = null;

  constructor(
    readonly config: C,
    readonly alphasCumprod: Float32Array,
  ) {}

  abstract setTimesteps(numInferenceSteps: number): void;
  abstract step(modelOutput: Float32Array, t: number, sample: Float32Array, generator?: NoiseGenerator): StepResult;
  abstract addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;

  setBeginIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0) throw invalidField('beginIndex', 'must be a non-negative integer');
    this.beginIndex = index;
  }

  scaleModelInput(sample: Float32Array, _t: number): Float32Array {
    return sample;
  }

  /** Inference steps must be a whole number in 1 … num_train_timesteps (diffusers raises beyond). */
  protected checkSteps(n: number, max: number = this.config.num_train_timesteps): void {
    if (!Number.isInteger(n) || n < 1) throw invalidField('steps', 'must be a positive integer');
    if (n > max) throw invalidField('steps', `must be at most ${max} for ${this.className}`);
  }

  protected requireTimesteps(): void {
    if (this.numInferenceSteps === null) {
      throw new BridgeError('internal', `${this.className}: setTimesteps must run before step`);
    }
  }

  /** The index of `t` in the schedule; when it repeats, the second occurrence (diffusers' index_for_timestep). */
  protected indexForTimestep(t: number, missing: 'throw' | 'last' = 'throw'): number {
    const first = this.timesteps.indexOf(t);
    if (first < 0) {
      if (missing === 'last') return this.timesteps.length - 1;
      throw invalidField('timestep', `${t} is not in ${this.className}'s schedule`);
    }
    const second = this.timesteps.indexOf(t, first + 1);
    return second < 0 ? first : second;
  }

  /** diffusers' _init_step_index: begin_index when the pipeline set one, else a lookup of `t`. */
  protected currentStepIndex(t: number, missing: 'throw' | 'last' = 'throw'): number {
    if (this.stepIndex === null) this.stepIndex = this.beginIndex ?? this.indexForTimestep(t, missing);
    return this.stepIndex;
  }

  /** add_noise's index: begin_index before the first step (img2img), the current step after (inpaint). */
  protected noiseIndex(t: number, missing: 'throw' | 'last' = 'throw'): number {
    if (this.beginIndex === null) return this.indexForTimestep(t, missing);
    return this.stepIndex ?? this.beginIndex;
  }

  protected resetStepState(): void {
    this.stepIndex = null;
    this.beginIndex = null;
  }

  /** ᾱ at an integer training timestep; diffusers indexes the tensor and would fail outside. */
  protected alphaAt(t: number): number {
    const a = this.alphasCumprod[t];
    if (!Number.isInteger(t) || a === undefined) {
      throw invalidField('timestep', `${t} is not a training timestep of ${this.className}`);
    }
    return a;
  }

  /** DDPM's add_noise: √ᾱ_t · x + √(1 - ᾱ_t) · noise. */
  protected addNoiseVp(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    sameLength(original, noise, 'noise');
    const a = this.alphaAt(t);
    return axpby(sqrtF32(a), original, sqrtF32(f32(1 - a)), noise);
  }
}

export function sameLength(a: Float32Array, b: Float32Array, field: string): void {
  if (a.length !== b.length) {
    throw new BridgeError('tensor_mismatch', `${field} has ${b.length} values where the sample has ${a.length}`, field);
  }
}

export function requireGenerator(generator: NoiseGenerator | undefined, className: string): NoiseGenerator {
  if (!generator) throw invalidField('generator', `${className} draws noise and needs a generator`);
  return generator;
}

/** a·x + b·y elementwise (float32 result). */
export function axpby(a: number, x: Float32Array, b: number, y: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = a * (x[i] as number) + b * (y[i] as number);
  return out;
}

/** x + a·y elementwise. */
export function addScaled(x: Float32Array, a: number, y: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = (x[i] as number) + a * (y[i] as number);
  return out;
}

/** Predicted x0 in VP parametrisation from √ᾱ, √(1-ᾱ), for the three prediction types. */
export function predictX0(
  type: BaseConfig['prediction_type'],
  modelOutput: Float32Array,
  sample: Float32Array,
  alphaSqrt: number,
  betaSqrt: number,
): Float32Array {
  switch (type) {
    case 'epsilon': {
      const out = new Float32Array(sample.length);
      for (let i = 0; i < out.length; i++) out[i] = ((sample[i] as number) - betaSqrt * (modelOutput[i] as number)) / alphaSqrt;
      return out;
    }
    case 'sample':
      return modelOutput.slice();
    case 'v_prediction':
      return axpby(alphaSqrt, sample, -betaSqrt, modelOutput);
  }
}

/** torch.clamp(x, -range, range) in place. */
export function clampInPlace(x: Float32Array, range: number): void {
  const r = f32(range);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v > r) x[i] = r;
    else if (v < -r) x[i] = -r;
  }
}
