/**
 * diffusers' PNDMScheduler (Liu et al. 2022): Runge–Kutta warm-up steps (PRK) then linear multistep
 * (PLMS). Stable Diffusion configs set skip_prk_steps, which replaces the warm-up by PLMS' own.
 */
import { BridgeError } from '@latent-bridge/shared';
import { BaseScheduler, sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader, notSupported } from './config.js';
import { f32, sqrtF32 } from './numeric.js';
import { ascendingTimesteps } from './spacing.js';
import type { SchedulerConfig, StepResult } from './types.js';

export type PndmConfig = BaseConfig & {
  readonly skip_prk_steps: boolean;
  readonly set_alpha_to_one: boolean;
};

export function readPndmConfig(raw: SchedulerConfig): PndmConfig {
  const r = new ConfigReader(raw);
  const base = r.base({ timestep_spacing: 'leading', knowsZeroSnr: false });
  if (base.prediction_type === 'sample') throw notSupported('prediction_type', 'sample prediction with PNDM');
  return {
    ...base,
    skip_prk_steps: r.boolean('skip_prk_steps', false),
    set_alpha_to_one: r.boolean('set_alpha_to_one', false),
  };
}

const PNDM_ORDER = 4;

/** c·x elementwise, or the running sum `acc + c·x` when `acc` is given. */
function scaled(c: number, x: Float32Array, acc?: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  const cf = f32(c);
  for (let i = 0; i < out.length; i++) out[i] = (acc ? (acc[i] as number) : 0) + cf * (x[i] as number);
  return out;
}

export class PndmScheduler extends BaseScheduler<PndmConfig> {
  readonly className = 'PNDMScheduler';
  prkTimesteps: number[] = [];
  plmsTimesteps: number[] = [];
  private readonly finalAlphaCumprod: number;
  private ets: Float32Array[] = [];
  private counter = 0;
  private curModelOutput: Float32Array | null = null;
  private curSample: Float32Array | null = null;

  constructor(raw: SchedulerConfig) {
    const config = readPndmConfig(raw);
    super(config, makeAlphasCumprod(config, false));
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : (this.alphasCumprod[0] as number);
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    // The PRK warm-up needs four timesteps; diffusers refuses fewer the same way.
    if (!this.config.skip_prk_steps && n < PNDM_ORDER) {
      throw new BridgeError('invalid_field', `steps: must be >= ${PNDM_ORDER} for PNDM without skip_prk_steps`, 'steps');
    }
    this.numInferenceSteps = n;
    const base = ascendingTimesteps(this.config, n);
    if (this.config.skip_prk_steps) {
      // PLMS re-uses the second timestep once for its own warm-up (Heun-like) step.
      this.prkTimesteps = [];
      this.plmsTimesteps = [...base.slice(0, -1), ...base.slice(-2, -1), ...base.slice(-1)].reverse();
    } else {
      const half = Math.floor(Math.floor(this.config.num_train_timesteps / n) / 2);
      const tail = base.slice(-PNDM_ORDER).flatMap((t) => [t, t + half]);
      this.prkTimesteps = tail
        .slice(0, -1)
        .flatMap((t) => [t, t])
        .slice(1, -1)
        .reverse();
      this.plmsTimesteps = base.slice(0, -3).reverse();
    }
    this.timesteps = [...this.prkTimesteps, ...this.plmsTimesteps];
    this.ets = [];
    this.counter = 0;
    this.curModelOutput = null;
    this.curSample = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const prevSample =
      this.counter < this.prkTimesteps.length && !this.config.skip_prk_steps
        ? this.stepPrk(modelOutput, t, sample)
        : this.stepPlms(modelOutput, t, sample);
    this.counter++;
    return { prevSample };
  }

  /** Fourth-order Runge–Kutta over the first timesteps: four model calls per pair of timesteps. */
  private stepPrk(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    const stride = Math.floor(this.config.num_train_timesteps / (this.numInferenceSteps as number));
    const prevT = t - (this.counter % 2 ? 0 : Math.floor(stride / 2));
    const timestep = this.prkTimesteps[Math.floor(this.counter / 4) * 4] as number;
    let output = modelOutput;
    const phase = this.counter % 4;
    if (phase === 0) {
      this.curModelOutput = scaled(1 / 6, modelOutput, this.curModelOutput ?? undefined);
      this.ets.push(modelOutput);
      this.curSample = sample;
    } else if (phase === 1 || phase === 2) {
      this.curModelOutput = scaled(1 / 3, modelOutput, this.curModelOutput ?? undefined);
    } else {
      output = scaled(1 / 6, modelOutput, this.curModelOutput ?? undefined);
      this.curModelOutput = null;
    }
    return this.prevSample(this.curSample ?? sample, timestep, prevT, output);
  }

  /** Adams–Bashforth over the stored model outputs (orders 1–4). */
  private stepPlms(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    if (!this.config.skip_prk_steps && this.ets.length < 3) {
      throw new BridgeError('internal', 'PNDM: PLMS needs the PRK warm-up steps first');
    }
    const stride = Math.floor(this.config.num_train_timesteps / (this.numInferenceSteps as number));
    let timestep = t;
    let prevT = t - stride;
    if (this.counter !== 1) {
      this.ets = [...this.ets.slice(-3), modelOutput];
    } else {
      prevT = t;
      timestep = t + stride;
    }
    const e = this.ets;
    const at = (k: number): Float32Array => e[e.length - k] as Float32Array;
    let output: Float32Array;
    let x = sample;
    if (e.length === 1 && this.counter === 0) {
      output = modelOutput;
      this.curSample = sample;
    } else if (e.length === 1 && this.counter === 1) {
      output = combine([0.5, 0.5], [modelOutput, at(1)]);
      x = this.curSample ?? sample;
      this.curSample = null;
    } else if (e.length === 2) {
      output = combine([3 / 2, -1 / 2], [at(1), at(2)]);
    } else if (e.length === 3) {
      output = combine([23 / 12, -16 / 12, 5 / 12], [at(1), at(2), at(3)]);
    } else {
      output = combine([55 / 24, -59 / 24, 37 / 24, -9 / 24], [at(1), at(2), at(3), at(4)]);
    }
    return this.prevSample(x, timestep, prevT, output);
  }

  /** Formula (9) of the PNDM paper: x_{t-δ} from x_t and the (combined) noise estimate. */
  private prevSample(sample: Float32Array, t: number, prevT: number, modelOutput: Float32Array): Float32Array {
    const alphaT = this.alphaAt(t);
    const alphaPrev = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaCumprod;
    const betaT = f32(1 - alphaT);
    const betaPrev = f32(1 - alphaPrev);
    let eps = modelOutput;
    if (this.config.prediction_type === 'v_prediction') {
      eps = new Float32Array(sample.length);
      const a = sqrtF32(alphaT);
      const b = sqrtF32(betaT);
      for (let i = 0; i < eps.length; i++) eps[i] = a * (modelOutput[i] as number) + b * (sample[i] as number);
    }
    const sampleCoeff = sqrtF32(f32(alphaPrev / alphaT));
    const denom = f32(f32(alphaT * sqrtF32(betaPrev)) + sqrtF32(f32(f32(alphaT * betaT) * alphaPrev)));
    const epsCoeff = f32(f32(alphaPrev - alphaT) / denom);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = sampleCoeff * (sample[i] as number) - epsCoeff * (eps[i] as number);
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return this.addNoiseVp(original, noise, t);
  }
}

/** Σ c_k·x_k elementwise with float32 coefficients. */
function combine(coeffs: readonly number[], xs: readonly Float32Array[]): Float32Array {
  const first = xs[0] as Float32Array;
  const out = new Float32Array(first.length);
  const cs = coeffs.map(f32);
  for (let i = 0; i < out.length; i++) {
    let acc = 0;
    for (let k = 0; k < xs.length; k++) acc += (cs[k] as number) * ((xs[k] as Float32Array)[i] as number);
    out[i] = acc;
  }
  return out;
}
