/** diffusers' EulerAncestralDiscreteScheduler: an Euler step to σ_down plus fresh noise of σ_up. */
import { requireGenerator, sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader, notSupported } from './config.js';
import { f32, sqrtF32 } from './numeric.js';
import { buildSigmaSchedule, SigmaScheduler, sigmaPredictX0 } from './sigma-base.js';
import type { NoiseGenerator, SchedulerConfig, StepResult } from './types.js';

export type EulerAncestralConfig = BaseConfig;

export function readEulerAncestralConfig(raw: SchedulerConfig): EulerAncestralConfig {
  const config = new ConfigReader(raw).base();
  if (config.prediction_type === 'sample') throw notSupported('prediction_type', 'sample prediction with Euler ancestral');
  return config;
}

export class EulerAncestralScheduler extends SigmaScheduler<EulerAncestralConfig> {
  override readonly retainsModelOutput = false;
  readonly className = 'EulerAncestralDiscreteScheduler';

  constructor(raw: SchedulerConfig) {
    const config = readEulerAncestralConfig(raw);
    super(config, makeAlphasCumprod(config, true));
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    this.numInferenceSteps = n;
    const plan = buildSigmaSchedule(this.config, this.trainSigmas, this.logTrainSigmas, n, {});
    this.install(plan.timesteps, [...plan.sigmas, 0]);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, generator?: NoiseGenerator): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const i = this.currentStepIndex(t);
    const sigma = this.sigmaAt(i);
    const sigmaTo = this.sigmaAt(i + 1);
    const x0 = sigmaPredictX0(this.config.prediction_type, modelOutput, sample, sigma);

    const from2 = f32(sigma * sigma);
    const to2 = f32(sigmaTo * sigmaTo);
    const sigmaUp = sqrtF32(f32(f32(to2 * f32(from2 - to2)) / from2));
    const sigmaDown = sqrtF32(f32(to2 - f32(sigmaUp * sigmaUp)));
    const dt = f32(sigmaDown - sigma);

    const prev = new Float32Array(sample.length);
    for (let k = 0; k < prev.length; k++) {
      const s = sample[k] as number;
      prev[k] = s + f32((s - (x0[k] as number)) / sigma) * dt;
    }
    // diffusers draws the noise after the deterministic part, on every step (σ_up is 0 on the last).
    const noise = requireGenerator(generator, this.className).randn([sample.length]);
    for (let k = 0; k < prev.length; k++) prev[k] = (prev[k] as number) + (noise[k] as number) * sigmaUp;
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: x0 };
  }
}
