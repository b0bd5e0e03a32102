/**
 * diffusers' LMSDiscreteScheduler (k-diffusion's sample_lms): linear multistep over up to four past
 * derivatives, the coefficients being integrals of Lagrange basis polynomials in sigma.
 */
import { sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader, configError } from './config.js';
import { f32, integrate } from './numeric.js';
import { buildSigmaSchedule, SigmaScheduler, sigmaPredictX0 } from './sigma-base.js';
import type { SchedulerConfig, StepResult } from './types.js';

export type LmsConfig = BaseConfig & {
  readonly use_karras_sigmas: boolean;
  readonly use_exponential_sigmas: boolean;
};

export function readLmsConfig(raw: SchedulerConfig): LmsConfig {
  const r = new ConfigReader(raw);
  r.refuse('use_beta_sigmas', 'beta sigmas');
  const config: LmsConfig = {
    ...r.base({ knowsZeroSnr: false }),
    use_karras_sigmas: r.boolean('use_karras_sigmas', false),
    use_exponential_sigmas: r.boolean('use_exponential_sigmas', false),
  };
  if (config.use_karras_sigmas && config.use_exponential_sigmas) {
    throw configError('use_exponential_sigmas', 'only one of use_karras_sigmas and use_exponential_sigmas may be set');
  }
  return config;
}

const MAX_ORDER = 4;

export class LmsScheduler extends SigmaScheduler<LmsConfig> {
  override readonly retainsModelOutput = false;
  readonly className = 'LMSDiscreteScheduler';
  /** Newest last, at most MAX_ORDER. */
  private derivatives: Float32Array[] = [];

  constructor(raw: SchedulerConfig) {
    const config = readLmsConfig(raw);
    super(config, makeAlphasCumprod(config, false));
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    this.numInferenceSteps = n;
    const plan = buildSigmaSchedule(this.config, this.trainSigmas, this.logTrainSigmas, n, {
      karras: this.config.use_karras_sigmas,
      exponential: this.config.use_exponential_sigmas,
    });
    this.install(plan.timesteps, [...plan.sigmas, 0]);
    this.derivatives = [];
  }

  /**
   * ∫ from σ_t to σ_{t+1} of the Lagrange basis polynomial for node `current` over the last `order`
   * sigmas. diffusers integrates with scipy's quad; the integrand is a polynomial of degree ≤ 3,
   * which Gauss–Legendre integrates exactly.
   */
  lmsCoefficient(order: number, t: number, current: number): number {
    const s = (k: number): number => this.sigmaAt(t - k);
    const basis = (tau: number): number => {
      let prod = 1;
      for (let k = 0; k < order; k++) {
        if (k === current) continue;
        prod *= (tau - s(k)) / (s(current) - s(k));
      }
      return prod;
    };
    return integrate(basis, this.sigmaAt(t), this.sigmaAt(t + 1));
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const i = this.currentStepIndex(t);
    const sigma = this.sigmaAt(i);
    const x0 = sigmaPredictX0(this.config.prediction_type, modelOutput, sample, sigma);
    const derivative = new Float32Array(sample.length);
    for (let k = 0; k < derivative.length; k++) derivative[k] = ((sample[k] as number) - (x0[k] as number)) / sigma;
    this.derivatives.push(derivative);
    if (this.derivatives.length > MAX_ORDER) this.derivatives.shift();

    const order = Math.min(i + 1, MAX_ORDER);
    const coeffs = Array.from({ length: order }, (_, c) => f32(this.lmsCoefficient(order, i, c)));
    // Coefficient c weighs the derivative from c steps back; like diffusers' zip, a history shorter
    // than the order (img2img starting mid-schedule) uses only the coefficients it has partners for.
    const history = this.derivatives.slice().reverse();
    const terms = Math.min(order, history.length);
    const prev = new Float32Array(sample.length);
    for (let k = 0; k < prev.length; k++) {
      let acc = 0;
      for (let c = 0; c < terms; c++) acc += (coeffs[c] as number) * ((history[c] as Float32Array)[k] as number);
      prev[k] = (sample[k] as number) + acc;
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
