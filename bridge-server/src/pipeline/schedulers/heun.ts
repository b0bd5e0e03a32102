/**
 * diffusers' HeunDiscreteScheduler (Karras et al. 2022, algorithm 1 without churn): an Euler
 * predictor and a trapezoidal corrector, so two model calls per interval; the schedule repeats
 * every inner timestep and sigma once.
 */
import { clampInPlace, sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader, configError } from './config.js';
import { f32 } from './numeric.js';
import { buildSigmaSchedule, SigmaScheduler, sigmaPredictX0 } from './sigma-base.js';
import type { SchedulerConfig, StepResult } from './types.js';

export type HeunConfig = BaseConfig & {
  readonly use_karras_sigmas: boolean;
  readonly use_exponential_sigmas: boolean;
  readonly clip_sample: boolean;
  readonly clip_sample_range: number;
};

export function readHeunConfig(raw: SchedulerConfig): HeunConfig {
  const r = new ConfigReader(raw);
  r.refuse('use_beta_sigmas', 'beta sigmas');
  const config: HeunConfig = {
    ...r.base({ beta_start: 0.00085, beta_end: 0.012, knowsZeroSnr: false }),
    use_karras_sigmas: r.boolean('use_karras_sigmas', false),
    use_exponential_sigmas: r.boolean('use_exponential_sigmas', false),
    clip_sample: r.boolean('clip_sample', false),
    clip_sample_range: r.number('clip_sample_range', 1.0, { min: 0 }),
  };
  if (config.use_karras_sigmas && config.use_exponential_sigmas) {
    throw configError('use_exponential_sigmas', 'only one of use_karras_sigmas and use_exponential_sigmas may be set');
  }
  return config;
}

export class HeunScheduler extends SigmaScheduler<HeunConfig> {
  override readonly retainsModelOutput = false;
  readonly className = 'HeunDiscreteScheduler';
  override readonly order = 2;
  /** Set between the predictor and the corrector call. */
  private pending: { derivative: Float32Array; dt: number; sample: Float32Array } | null = null;

  constructor(raw: SchedulerConfig) {
    const config = readHeunConfig(raw);
    super(config, makeAlphasCumprod(config, false));
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    this.numInferenceSteps = n;
    const plan = buildSigmaSchedule(this.config, this.trainSigmas, this.logTrainSigmas, n, {
      karras: this.config.use_karras_sigmas,
      exponential: this.config.use_exponential_sigmas,
    });
    const s = [...plan.sigmas, 0].map(f32);
    const sigmas = [s[0] as number, ...s.slice(1, -1).flatMap((v) => [v, v]), s[s.length - 1] as number];
    const t = plan.timesteps;
    const timesteps = [t[0] as number, ...t.slice(1).flatMap((v) => [v, v])];
    this.install(timesteps, sigmas);
    this.pending = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const i = this.currentStepIndex(t);
    const first = this.pending === null;
    const sigma = first ? this.sigmaAt(i) : this.sigmaAt(i - 1);
    const sigmaNext = first ? this.sigmaAt(i + 1) : this.sigmaAt(i);
    const x0 = sigmaPredictX0(this.config.prediction_type, modelOutput, sample, first ? sigma : sigmaNext);
    if (this.config.clip_sample) clampInPlace(x0, this.config.clip_sample_range);

    const prev = new Float32Array(sample.length);
    if (this.pending === null) {
      const derivative = new Float32Array(sample.length);
      for (let k = 0; k < derivative.length; k++) derivative[k] = ((sample[k] as number) - (x0[k] as number)) / sigma;
      const dt = f32(sigmaNext - sigma);
      for (let k = 0; k < prev.length; k++) prev[k] = (sample[k] as number) + (derivative[k] as number) * dt;
      this.pending = { derivative, dt, sample };
    } else {
      const { derivative: d1, dt, sample: start } = this.pending;
      for (let k = 0; k < prev.length; k++) {
        const d2 = f32(((sample[k] as number) - (x0[k] as number)) / sigmaNext);
        const d = f32(((d1[k] as number) + d2) / 2);
        prev[k] = (start[k] as number) + d * dt;
      }
      this.pending = null;
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
