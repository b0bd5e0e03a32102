/** diffusers' EulerDiscreteScheduler (Karras et al. 2022, algorithm 2, s_churn = 0). */
import { sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader, configError } from './config.js';
import { f32 } from './numeric.js';
import { buildSigmaSchedule, SigmaScheduler, sigmaPredictX0 } from './sigma-base.js';
import type { SchedulerConfig, StepResult } from './types.js';

export type EulerConfig = BaseConfig & {
  readonly interpolation_type: 'linear' | 'log_linear';
  readonly use_karras_sigmas: boolean;
  readonly use_exponential_sigmas: boolean;
  readonly sigma_min: number | null;
  readonly sigma_max: number | null;
  readonly timestep_type: 'discrete' | 'continuous';
  readonly final_sigmas_type: 'zero' | 'sigma_min';
};

export function readEulerConfig(raw: SchedulerConfig): EulerConfig {
  const r = new ConfigReader(raw);
  r.refuse('use_beta_sigmas', 'beta sigmas');
  const config: EulerConfig = {
    ...r.base(),
    interpolation_type: r.oneOf('interpolation_type', 'linear', ['linear', 'log_linear'] as const),
    use_karras_sigmas: r.boolean('use_karras_sigmas', false),
    use_exponential_sigmas: r.boolean('use_exponential_sigmas', false),
    sigma_min: r.optionalNumber('sigma_min'),
    sigma_max: r.optionalNumber('sigma_max'),
    timestep_type: r.oneOf('timestep_type', 'discrete', ['discrete', 'continuous'] as const),
    final_sigmas_type: r.oneOf('final_sigmas_type', 'zero', ['zero', 'sigma_min'] as const),
  };
  if (config.use_karras_sigmas && config.use_exponential_sigmas) {
    throw configError('use_exponential_sigmas', 'only one of use_karras_sigmas and use_exponential_sigmas may be set');
  }
  return config;
}

export class EulerScheduler extends SigmaScheduler<EulerConfig> {
  override readonly retainsModelOutput = false;
  private x0: Float32Array | undefined;
  readonly className = 'EulerDiscreteScheduler';

  constructor(raw: SchedulerConfig) {
    const config = readEulerConfig(raw);
    super(config, makeAlphasCumprod(config, true));
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    this.numInferenceSteps = n;
    const c = this.config;
    const plan = buildSigmaSchedule(c, this.trainSigmas, this.logTrainSigmas, n, {
      sigmaMin: c.sigma_min,
      sigmaMax: c.sigma_max,
      karras: c.use_karras_sigmas,
      exponential: c.use_exponential_sigmas,
      logLinear: c.interpolation_type === 'log_linear',
    });
    const last = c.final_sigmas_type === 'sigma_min' ? (this.trainSigmas[0] as number) : 0;
    const sigmas = [...plan.sigmas.map(f32), last];
    // EDM-style continuous timesteps for v-prediction models: c_noise = ln(σ)/4.
    const timesteps =
      c.timestep_type === 'continuous' && c.prediction_type === 'v_prediction'
        ? sigmas.slice(0, -1).map((s) => f32(0.25 * f32(Math.log(s))))
        : plan.timesteps;
    this.install(timesteps, sigmas);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const i = this.currentStepIndex(t);
    const sigma = this.sigmaAt(i);
    // x0 only feeds this step, so one buffer serves every step (it is not returned).
    this.x0 = this.x0?.length === sample.length ? this.x0 : new Float32Array(sample.length);
    const x0 = sigmaPredictX0(this.config.prediction_type, modelOutput, sample, sigma, this.x0);
    const dt = f32(this.sigmaAt(i + 1) - sigma);
    const prev = new Float32Array(sample.length);
    for (let k = 0; k < prev.length; k++) {
      const s = sample[k] as number;
      const derivative = f32((s - (x0[k] as number)) / sigma);
      prev[k] = s + f32(derivative * dt);
    }
    this.stepIndex = i + 1;
    return { prevSample: prev };
  }
}
