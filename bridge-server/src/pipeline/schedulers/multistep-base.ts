/**
 * What DPMSolverMultistep and UniPCMultistep share: integer timesteps with a float32 sigma schedule
 * (optionally Karras, Lu or exponential), the VP view α_t = 1/√(σ²+1), σ_t = σ·α_t, λ = ln α_t −
 * ln σ_t, the conversion of model outputs to x0 (or ε) and the history of converted outputs.
 */
import { BaseScheduler, sameLength } from './base.js';
import { trainingSigmas } from './betas.js';
import type { BaseConfig } from './config.js';
import { f32, interpUnitGrid, roundHalfEven, sqrtF32 } from './numeric.js';
import { exponentialSigmas, karrasSigmas, logSigmasF32, luSigmas, multistepTimesteps, sigmaToT } from './spacing.js';
import type { ResolvedSchedulerConfig } from './types.js';

export type SigmaRespacing = 'none' | 'karras' | 'lu' | 'exponential';

export interface MultistepPlan {
  timesteps: number[];
  /** One per timestep, before the final sigma is appended. */
  sigmas: number[];
}

/**
 * set_timesteps' shared part. Re-spaced sigmas map back to fractional timesteps, rounded when
 * `roundRespaced` (diffusers does for Karras and Lu except on the cosine schedule), then cast to
 * int64 (truncation).
 */
export function buildMultistepPlan(
  config: BaseConfig,
  train: Float32Array,
  logTrain: Float32Array,
  n: number,
  lastTimestep: number,
  respacing: SigmaRespacing,
  roundRespaced: boolean,
): MultistepPlan {
  const timesteps = multistepTimesteps(config, n, lastTimestep);
  if (respacing === 'none') return { timesteps, sigmas: timesteps.map((t) => interpUnitGrid(t, train)) };
  const sigmaMin = train[0] as number;
  const sigmaMax = train[train.length - 1] as number;
  const sigmas =
    respacing === 'karras'
      ? karrasSigmas(sigmaMin, sigmaMax, n)
      : respacing === 'exponential'
        ? exponentialSigmas(sigmaMin, sigmaMax, n)
        : luSigmas(logTrain[0] as number, logTrain[logTrain.length - 1] as number, n);
  const mapped = sigmas.map((s) => {
    const t = sigmaToT(s, logTrain);
    return Math.trunc(roundRespaced ? roundHalfEven(t) : t);
  });
  return { timesteps: mapped, sigmas };
}

export abstract class MultistepScheduler<C extends ResolvedSchedulerConfig> extends BaseScheduler<C> {
  sigmas: readonly number[] = [];
  protected readonly trainSigmas: Float32Array;
  protected readonly logTrainSigmas: Float32Array;
  /** Converted model outputs, newest last; null until filled. */
  protected modelOutputs: (Float32Array | null)[] = [];
  protected lowerOrderNums = 0;

  constructor(config: C, alphasCumprod: Float32Array) {
    super(config, alphasCumprod);
    this.trainSigmas = trainingSigmas(alphasCumprod);
    this.logTrainSigmas = logSigmasF32(this.trainSigmas);
  }

  protected installPlan(plan: MultistepPlan, finalSigma: number, solverOrder: number): void {
    this.timesteps = plan.timesteps;
    this.sigmas = [...plan.sigmas, finalSigma].map(f32);
    this.numInferenceSteps = plan.timesteps.length;
    this.modelOutputs = new Array<Float32Array | null>(solverOrder).fill(null);
    this.lowerOrderNums = 0;
    this.resetStepState();
  }

  protected sigmaAt(index: number): number {
    const s = this.sigmas[index];
    if (s === undefined) throw new RangeError(`${this.className}: step past the end of the schedule`);
    return s;
  }

  /** [α_t, σ_t] for a sigma, float32 as torch computes them. */
  protected alphaSigma(sigma: number): [number, number] {
    const alpha = f32(1 / sqrtF32(f32(f32(sigma * sigma) + 1)));
    return [alpha, f32(sigma * alpha)];
  }

  /** λ = ln α − ln σ (log signal-to-noise half), +∞ at σ = 0. */
  protected lambdaOf(sigma: number): number {
    const [alpha, sigmaT] = this.alphaSigma(sigma);
    return f32(f32(Math.log(alpha)) - f32(Math.log(sigmaT)));
  }

  protected pushModelOutput(converted: Float32Array): void {
    this.modelOutputs.shift();
    this.modelOutputs.push(converted);
  }

  /** The i-th newest converted output (1 = newest). */
  protected history(i: number): Float32Array {
    const m = this.modelOutputs[this.modelOutputs.length - i];
    if (!m) throw new RangeError(`${this.className}: missing model output history`);
    return m;
  }

  /** The data prediction x0 (toData) or the noise prediction ε from a raw model output at σ. */
  protected convert(modelOutput: Float32Array, sample: Float32Array, sigma: number, toData: boolean): Float32Array {
    const [alpha, sigmaT] = this.alphaSigma(sigma);
    const type = this.config.prediction_type;
    if (type === 'sample' && toData) return modelOutput.slice();
    if (type === 'epsilon' && !toData) return modelOutput.slice();
    // out = a·sample + b·modelOutput (divided by `div`) covers the four remaining conversions.
    const [a, b, div] =
      type === 'epsilon' ? [1, -sigmaT, alpha] : type === 'sample' ? [1, -alpha, sigmaT] : toData ? [alpha, -sigmaT, 1] : [sigmaT, alpha, 1];
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = (a * (sample[i] as number) + b * (modelOutput[i] as number)) / div;
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    sameLength(original, noise, 'noise');
    const [alpha, sigmaT] = this.alphaSigma(this.sigmaAt(this.noiseIndex(t, 'last')));
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = alpha * (original[i] as number) + sigmaT * (noise[i] as number);
    return out;
  }
}
