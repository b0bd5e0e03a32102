/**
 * The k-diffusion style classes (Euler, Euler ancestral, Heun, LMS) work in sigma space: x_t = x_0 +
 * σ·ε, the model input scaled by 1/√(σ² + 1). This base builds their sigma schedule and shares
 * scale_model_input, init_noise_sigma and add_noise.
 */
import { BaseScheduler, sameLength } from './base.js';
import { trainingSigmas } from './betas.js';
import type { BaseConfig } from './config.js';
import { f32, interpUnitGrid, sqrtF32, torchLinspaceF32 } from './numeric.js';
import { exponentialSigmas, float32Timesteps, karrasSigmas, logSigmasF32, sigmaToT } from './spacing.js';
import type { ResolvedSchedulerConfig } from './types.js';

export interface SigmaScheduleOptions {
  /** Which sigma_min/sigma_max overrides the class reads from its config (Euler only). */
  sigmaMin?: number | null;
  sigmaMax?: number | null;
  karras?: boolean;
  exponential?: boolean;
  /** Euler's interpolation_type "log_linear": n + 1 log-uniform sigmas over the training range. */
  logLinear?: boolean;
}

export interface SigmaSchedule {
  /** float32 values, descending. */
  timesteps: number[];
  /** One per timestep (float64 for the interpolated ones, before the final float32 cast). */
  sigmas: number[];
}

/** Timesteps by spacing, sigmas by interpolating the training sigmas, then the optional re-spacing. */
export function buildSigmaSchedule(
  config: BaseConfig,
  train: Float32Array,
  logTrain: Float32Array,
  n: number,
  opts: SigmaScheduleOptions,
): SigmaSchedule {
  let timesteps = float32Timesteps(config, n);
  let sigmas: number[] = opts.logLinear
    ? Array.from(torchLinspaceF32(logTrain[train.length - 1] as number, logTrain[0] as number, n + 1), (v) => f32(Math.exp(v)))
    : timesteps.map((t) => interpUnitGrid(t, train));
  if (opts.karras || opts.exponential) {
    const sigmaMin = opts.sigmaMin ?? (sigmas[sigmas.length - 1] as number);
    const sigmaMax = opts.sigmaMax ?? (sigmas[0] as number);
    sigmas = opts.karras ? karrasSigmas(sigmaMin, sigmaMax, n) : exponentialSigmas(sigmaMin, sigmaMax, n);
    timesteps = sigmas.map((s) => f32(sigmaToT(s, logTrain)));
  }
  return { timesteps, sigmas };
}

export abstract class SigmaScheduler<C extends ResolvedSchedulerConfig> extends BaseScheduler<C> {
  sigmas: readonly number[] = [];
  protected readonly trainSigmas: Float32Array;
  protected readonly logTrainSigmas: Float32Array;

  constructor(config: C, alphasCumprod: Float32Array) {
    super(config, alphasCumprod);
    this.trainSigmas = trainingSigmas(alphasCumprod);
    this.logTrainSigmas = logSigmasF32(this.trainSigmas);
  }

  /** Installs a schedule: sigmas to float32, init_noise_sigma from their maximum, step state reset. */
  protected install(timesteps: readonly number[], sigmas: readonly number[]): void {
    this.timesteps = timesteps;
    this.sigmas = sigmas.map(f32);
    const max = this.sigmas.reduce((m, s) => (s > m ? s : m), 0);
    const spacing = this.config.timestep_spacing;
    this.initNoiseSigma = spacing === 'linspace' || spacing === 'trailing' ? max : sqrtF32(f32(f32(max * max) + 1));
    this.resetStepState();
  }

  protected sigmaAt(index: number): number {
    const s = this.sigmas[index];
    if (s === undefined) throw new RangeError(`${this.className}: step past the end of the schedule`);
    return s;
  }

  override scaleModelInput(sample: Float32Array, t: number, into?: Float32Array): Float32Array {
    const sigma = this.sigmaAt(this.currentStepIndex(t));
    const denom = sqrtF32(f32(f32(sigma * sigma) + 1));
    const out = into !== undefined && into.length === sample.length && into !== sample ? into : new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = (sample[i] as number) / denom;
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    sameLength(original, noise, 'noise');
    const sigma = this.sigmaAt(this.noiseIndex(t));
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = (original[i] as number) + (noise[i] as number) * sigma;
    return out;
  }
}

/** x0 from a sigma-space model output (epsilon, v or sample), as Euler/Heun/LMS compute it. */
export function sigmaPredictX0(
  type: BaseConfig['prediction_type'],
  modelOutput: Float32Array,
  sample: Float32Array,
  sigma: number,
  into?: Float32Array,
): Float32Array {
  const out = into !== undefined && into.length === sample.length ? into : new Float32Array(sample.length);
  if (type === 'epsilon') {
    for (let i = 0; i < out.length; i++) out[i] = (sample[i] as number) - f32(sigma * (modelOutput[i] as number));
  } else if (type === 'v_prediction') {
    const s2 = f32(f32(sigma * sigma) + 1);
    const c = f32(-sigma / sqrtF32(s2));
    for (let i = 0; i < out.length; i++) out[i] = (modelOutput[i] as number) * c + (sample[i] as number) / s2;
  } else {
    out.set(modelOutput);
  }
  return out;
}
