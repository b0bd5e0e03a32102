/** diffusers' DDPMScheduler (Ho et al. 2020): ancestral sampling with a fixed variance. */
import { BaseScheduler, clampInPlace, predictX0, requireGenerator, sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader, notSupported } from './config.js';
import { f32, sqrtF32 } from './numeric.js';
import { integerTimesteps } from './spacing.js';
import type { NoiseGenerator, SchedulerConfig, StepResult } from './types.js';

const VARIANCE_TYPES = ['fixed_small', 'fixed_small_log', 'fixed_large', 'fixed_large_log', 'learned', 'learned_range'] as const;
type VarianceType = (typeof VARIANCE_TYPES)[number];

export type DdpmConfig = BaseConfig & {
  readonly variance_type: VarianceType;
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
};

export function readDdpmConfig(raw: SchedulerConfig): DdpmConfig {
  const r = new ConfigReader(raw);
  r.noThresholding();
  const variance_type = r.oneOf('variance_type', 'fixed_small', VARIANCE_TYPES);
  // The learned variances split a 2·C-channel model output (SD UNets predict C channels), and
  // diffusers' fixed_large_log takes the square root of a negative log: NaN noise.
  if (variance_type !== 'fixed_small' && variance_type !== 'fixed_small_log' && variance_type !== 'fixed_large') {
    throw notSupported('variance_type', variance_type);
  }
  return {
    ...r.base({ timestep_spacing: 'leading' }),
    variance_type,
    clip_sample: r.boolean('clip_sample', true),
    clip_sample_range: r.number('clip_sample_range', 1.0, { min: 0 }),
  };
}

export class DdpmScheduler extends BaseScheduler<DdpmConfig> {
  override readonly retainsModelOutput = false;
  readonly className = 'DDPMScheduler';

  constructor(raw: SchedulerConfig) {
    const config = readDdpmConfig(raw);
    super(config, makeAlphasCumprod(config, false));
    this.timesteps = Array.from({ length: config.num_train_timesteps }, (_, i) => config.num_train_timesteps - 1 - i);
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    this.numInferenceSteps = n;
    this.timesteps = integerTimesteps(this.config, n);
  }

  /** diffusers' previous_timestep: the next schedule entry, or t - 1 when stepping every training step. */
  private previousTimestep(t: number): number {
    if (this.numInferenceSteps === null) return t - 1;
    const i = this.timesteps.indexOf(t);
    if (i < 0) return t - Math.floor(this.config.num_train_timesteps / this.numInferenceSteps);
    return i === this.timesteps.length - 1 ? -1 : (this.timesteps[i + 1] as number);
  }

  /** The σ_t multiplying the fresh noise, per variance_type. */
  private noiseScale(alphaT: number, alphaPrev: number): number {
    const currentBeta = f32(1 - f32(alphaT / alphaPrev));
    const variance = Math.max(f32(f32(f32(1 - alphaPrev) / f32(1 - alphaT)) * currentBeta), 1e-20);
    switch (this.config.variance_type) {
      case 'fixed_small':
        return sqrtF32(variance);
      case 'fixed_small_log':
        // diffusers multiplies the noise by exp(0.5·log variance) itself, not by its square root.
        return f32(Math.exp(f32(0.5 * f32(Math.log(variance)))));
      case 'fixed_large':
        return sqrtF32(currentBeta);
      default:
        throw notSupported('variance_type', this.config.variance_type);
    }
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, generator?: NoiseGenerator): StepResult {
    sameLength(sample, modelOutput, 'modelOutput');
    const prevT = this.previousTimestep(t);
    const alphaT = this.alphaAt(t);
    const alphaPrev = prevT >= 0 ? this.alphaAt(prevT) : 1;
    const betaT = f32(1 - alphaT);
    const betaPrev = f32(1 - alphaPrev);
    const currentAlpha = f32(alphaT / alphaPrev);
    const currentBeta = f32(1 - currentAlpha);

    const x0 = predictX0(this.config.prediction_type, modelOutput, sample, sqrtF32(alphaT), sqrtF32(betaT));
    if (this.config.clip_sample) clampInPlace(x0, this.config.clip_sample_range);

    const x0Coeff = f32(f32(sqrtF32(alphaPrev) * currentBeta) / betaT);
    const sampleCoeff = f32(f32(sqrtF32(currentAlpha) * betaPrev) / betaT);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < prev.length; i++) prev[i] = x0Coeff * (x0[i] as number) + sampleCoeff * (sample[i] as number);

    if (t > 0) {
      const noise = requireGenerator(generator, this.className).randn([sample.length]);
      const scale = this.noiseScale(alphaT, alphaPrev);
      for (let i = 0; i < prev.length; i++) prev[i] = (prev[i] as number) + scale * (noise[i] as number);
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return this.addNoiseVp(original, noise, t);
  }
}
