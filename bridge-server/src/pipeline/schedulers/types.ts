/**
 * The scheduler contract the pipeline drives: diffusers' scheduler API (set_timesteps,
 * scale_model_input, step, add_noise, set_begin_index) on flat float32 arrays.
 */
import { invalidField } from '@latent-bridge/shared';
import type { BaseConfig } from './config.js';

/** A torch-compatible random source: randn(shape) returns what torch.randn(shape, generator=g) would. */
export interface NoiseGenerator {
  randn(shape: readonly number[]): Float32Array;
}

/** A diffusers scheduler_config.json object, snake_case keys as they are. */
export type SchedulerConfig = Record<string, unknown>;

/** The config after a class took its keys from a SchedulerConfig and filled its defaults. */
export type ResolvedSchedulerConfig = BaseConfig & { readonly [key: string]: unknown };

export interface StepResult {
  /** A fresh array the caller owns: the scheduler keeps no reference to it (the loop may write into it). */
  prevSample: Float32Array;
  predOriginalSample?: Float32Array;
}

export interface Scheduler {
  /** The diffusers class name, e.g. 'EulerDiscreteScheduler'. */
  readonly className: string;
  readonly config: Readonly<ResolvedSchedulerConfig>;
  /** Model calls per timestep entry pair (Heun: 2); img2img slices timesteps by t_start · order. */
  readonly order: number;
  /** Standard deviation of the initial noise; valid after setTimesteps. */
  readonly initNoiseSigma: number;
  /** After setTimesteps; fractional for some classes and spacings, exactly as diffusers (float32 values). */
  readonly timesteps: readonly number[];
  /** The sigma schedule (float32 values, one more than timesteps) for sigma-space schedulers. */
  readonly sigmas?: readonly number[];
  /** The training schedule ᾱ, float32 as torch builds it. */
  readonly alphasCumprod: Float32Array;
  setTimesteps(numInferenceSteps: number): void;
  /** diffusers' set_begin_index (img2img); a no-op for the classes that step by timestep value. */
  setBeginIndex(index: number): void;
  /**
   * diffusers' scale_model_input. May return `sample` itself (no scaling); when it scales and `out`
   * is given, the result is written there (the loop reuses one buffer rather than a fresh one a step).
   */
  scaleModelInput(sample: Float32Array, t: number, out?: Float32Array): Float32Array;
  /**
   * Whether step() may keep the modelOutput array itself past the call (PNDM's ets; the multistep
   * solvers' histories when their conversion hands it back). When false, the loop writes every
   * step's prediction into one reused buffer.
   */
  readonly retainsModelOutput: boolean;
  /** One denoising step. Stochastic schedulers draw generator.randn([sample.length]) as diffusers draws. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, generator?: NoiseGenerator): StepResult;
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;
}

/**
 * diffusers' StableDiffusionImg2ImgPipeline.get_timesteps, after set_timesteps(steps):
 * init_timestep = min(int(steps·strength), steps), t_start = max(steps - init_timestep, 0),
 * the timesteps from t_start·order on, and set_begin_index(t_start·order).
 */
export function img2imgTimesteps(s: Scheduler, steps: number, strength: number): { timesteps: number[]; startIndex: number } {
  if (!Number.isFinite(strength) || strength < 0 || strength > 1) throw invalidField('strength', 'must be in [0, 1]');
  s.setTimesteps(steps);
  const initTimestep = Math.min(Math.trunc(steps * strength), steps);
  const tStart = Math.max(steps - initTimestep, 0);
  const startIndex = tStart * s.order;
  s.setBeginIndex(startIndex);
  return { timesteps: s.timesteps.slice(startIndex), startIndex };
}
