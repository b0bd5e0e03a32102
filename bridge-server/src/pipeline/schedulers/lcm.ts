/**
 * diffusers' LCMScheduler (Luo et al. 2023): each step jumps to the consistency function's x0
 * estimate and, except on the last step, re-noises it to the next timestep.
 */
import { invalidField } from '@latent-bridge/shared';
import { BaseScheduler, clampInPlace, predictX0, requireGenerator, sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader } from './config.js';
import { f32, npLinspace, sqrtF32 } from './numeric.js';
import type { NoiseGenerator, SchedulerConfig, StepResult } from './types.js';

export type LcmConfig = BaseConfig & {
  readonly original_inference_steps: number;
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
  readonly set_alpha_to_one: boolean;
  readonly timestep_scaling: number;
};

export function readLcmConfig(raw: SchedulerConfig): LcmConfig {
  const r = new ConfigReader(raw);
  r.noThresholding();
  const base = r.base({ beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', timestep_spacing: 'leading' });
  return {
    ...base,
    original_inference_steps: r.number('original_inference_steps', 50, { integer: true, min: 1, max: base.num_train_timesteps }),
    clip_sample: r.boolean('clip_sample', false),
    clip_sample_range: r.number('clip_sample_range', 1.0, { min: 0 }),
    set_alpha_to_one: r.boolean('set_alpha_to_one', true),
    timestep_scaling: r.number('timestep_scaling', 10.0),
  };
}

/** The consistency-model boundary condition: c_skip and c_out at timestep t (σ_data = 0.5). */
export function lcmScalings(t: number, timestepScaling: number): { cSkip: number; cOut: number } {
  const scaled = f32(t * f32(timestepScaling));
  const denom = f32(f32(scaled * scaled) + 0.25);
  return { cSkip: f32(0.25 / denom), cOut: f32(scaled / sqrtF32(denom)) };
}

export class LcmScheduler extends BaseScheduler<LcmConfig> {
  override readonly retainsModelOutput = false;
  readonly className = 'LCMScheduler';
  private readonly finalAlphaCumprod: number;

  constructor(raw: SchedulerConfig) {
    const config = readLcmConfig(raw);
    super(config, makeAlphasCumprod(config, false));
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number);
  }

  /** Evenly skips through the distillation schedule k·i − 1 (k = T / original_inference_steps). */
  setTimesteps(n: number): void {
    const original = this.config.original_inference_steps;
    this.checkSteps(n, original);
    if (n > this.config.num_train_timesteps) throw invalidField('steps', 'exceeds num_train_timesteps');
    this.numInferenceSteps = n;
    const k = Math.floor(this.config.num_train_timesteps / original);
    const origin = Array.from({ length: original }, (_, i) => (i + 1) * k - 1).reverse();
    this.timesteps = npLinspace(0, original, n, false).map((v) => origin[Math.floor(v)] as number);
    this.resetStepState();
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, generator?: NoiseGenerator): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const i = this.currentStepIndex(t);
    const prevT = i + 1 < this.timesteps.length ? (this.timesteps[i + 1] as number) : t;
    const alphaT = this.alphaAt(t);
    const alphaPrev = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaCumprod;
    const { cSkip, cOut } = lcmScalings(t, this.config.timestep_scaling);

    const x0 = predictX0(this.config.prediction_type, modelOutput, sample, sqrtF32(alphaT), sqrtF32(f32(1 - alphaT)));
    if (this.config.clip_sample) clampInPlace(x0, this.config.clip_sample_range);
    const denoised = new Float32Array(sample.length);
    for (let k = 0; k < denoised.length; k++) denoised[k] = cOut * (x0[k] as number) + cSkip * (sample[k] as number);

    let prev = denoised;
    if (i !== this.timesteps.length - 1) {
      const noise = requireGenerator(generator, this.className).randn([sample.length]);
      const a = sqrtF32(alphaPrev);
      const b = sqrtF32(f32(1 - alphaPrev));
      prev = new Float32Array(sample.length);
      for (let k = 0; k < prev.length; k++) prev[k] = a * (denoised[k] as number) + b * (noise[k] as number);
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return this.addNoiseVp(original, noise, t);
  }
}
