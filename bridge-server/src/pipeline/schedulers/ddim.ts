/** diffusers' DDIMScheduler (Song et al. 2020), eta = 0 as the pipelines use it by default. */
import { BaseScheduler, clampInPlace, predictX0, requireGenerator, sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader } from './config.js';
import { f32, sqrtF32 } from './numeric.js';
import { integerTimesteps } from './spacing.js';
import type { NoiseGenerator, SchedulerConfig, StepResult } from './types.js';

export type DdimConfig = BaseConfig & {
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
  readonly set_alpha_to_one: boolean;
};

export function readDdimConfig(raw: SchedulerConfig): DdimConfig {
  const r = new ConfigReader(raw);
  r.noThresholding();
  return {
    ...r.base({ timestep_spacing: 'leading' }),
    clip_sample: r.boolean('clip_sample', true),
    clip_sample_range: r.number('clip_sample_range', 1.0, { min: 0 }),
    set_alpha_to_one: r.boolean('set_alpha_to_one', true),
  };
}

export class DdimScheduler extends BaseScheduler<DdimConfig> {
  override readonly retainsModelOutput = false;
  readonly className = 'DDIMScheduler';
  /** Weight of the fresh noise (η); 0 makes DDIM deterministic. */
  eta = 0;
  private readonly finalAlphaCumprod: number;

  constructor(raw: SchedulerConfig) {
    const config = readDdimConfig(raw);
    super(config, makeAlphasCumprod(config, false));
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number);
    this.timesteps = Array.from({ length: config.num_train_timesteps }, (_, i) => config.num_train_timesteps - 1 - i);
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    this.numInferenceSteps = n;
    this.timesteps = integerTimesteps(this.config, n);
  }

  private variance(alphaT: number, alphaPrev: number): number {
    const betaT = f32(1 - alphaT);
    const betaPrev = f32(1 - alphaPrev);
    return f32(f32(betaPrev / betaT) * f32(1 - f32(alphaT / alphaPrev)));
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, generator?: NoiseGenerator): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const n = this.numInferenceSteps as number;
    const prevT = t - Math.floor(this.config.num_train_timesteps / n);
    const alphaT = this.alphaAt(t);
    const alphaPrev = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaCumprod;
    const betaT = f32(1 - alphaT);
    const alphaSqrt = sqrtF32(alphaT);
    const betaSqrt = sqrtF32(betaT);

    const x0 = predictX0(this.config.prediction_type, modelOutput, sample, alphaSqrt, betaSqrt);
    let eps: Float32Array;
    if (this.config.prediction_type === 'epsilon') eps = modelOutput;
    else if (this.config.prediction_type === 'sample') {
      eps = new Float32Array(sample.length);
      for (let i = 0; i < eps.length; i++) eps[i] = ((sample[i] as number) - alphaSqrt * (x0[i] as number)) / betaSqrt;
    } else {
      eps = new Float32Array(sample.length);
      for (let i = 0; i < eps.length; i++) eps[i] = alphaSqrt * (modelOutput[i] as number) + betaSqrt * (sample[i] as number);
    }
    if (this.config.clip_sample) clampInPlace(x0, this.config.clip_sample_range);

    const eta = f32(this.eta);
    const stdDev = f32(eta * sqrtF32(this.variance(alphaT, alphaPrev)));
    const dirCoeff = sqrtF32(f32(f32(1 - alphaPrev) - f32(stdDev * stdDev)));
    const x0Coeff = sqrtF32(alphaPrev);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < prev.length; i++) prev[i] = x0Coeff * (x0[i] as number) + dirCoeff * (eps[i] as number);

    if (eta > 0) {
      const noise = requireGenerator(generator, this.className).randn([sample.length]);
      for (let i = 0; i < prev.length; i++) prev[i] = (prev[i] as number) + stdDev * (noise[i] as number);
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return this.addNoiseVp(original, noise, t);
  }
}
