/**
 * One sampling pass as A1111 runs it: the pipeline's denoise loop, segment by segment where the
 * conditioning changes (prompt editing, alternation), with the step's denoised estimate kept for
 * live previews and for /interrupt and /skip, which end a pass early with that estimate as its
 * result (A1111's launch_sampling returns last_latent, the denoised image of the last step).
 */
import type { LoadedModel } from '../../pipeline/loaded-model.js';
import { denoise } from '../../pipeline/denoise.js';
import type { BatchNoise } from '../../pipeline/noise.js';
import { createScheduler, type NoiseGenerator, type Scheduler, type SchedulerConfig, type StepResult } from '../../pipeline/schedulers/index.js';
import type { ConditioningCache, CondSegment } from './conditioning-plan.js';

export type LatentShape = readonly [number, number, number, number];

const SIGMA_SPACE = new Set(['EulerDiscreteScheduler', 'EulerAncestralDiscreteScheduler', 'HeunDiscreteScheduler', 'LMSDiscreteScheduler']);

/**
 * A scheduler that remembers each step's estimate of the clean latents: the scheduler's own
 * pred_original_sample where it reports one, else worked out from the model output at the
 * step's sigma (k-diffusion space) or ᾱ (DDPM space).
 */
export class X0Tracker implements Scheduler {
  last: Float32Array | undefined;

  constructor(readonly inner: Scheduler) {}

  get className(): string {
    return this.inner.className;
  }
  get config() {
    return this.inner.config;
  }
  get order(): number {
    return this.inner.order;
  }
  get initNoiseSigma(): number {
    return this.inner.initNoiseSigma;
  }
  get timesteps(): readonly number[] {
    return this.inner.timesteps;
  }
  get sigmas(): readonly number[] | undefined {
    return this.inner.sigmas;
  }
  get alphasCumprod(): Float32Array {
    return this.inner.alphasCumprod;
  }
  get retainsModelOutput(): boolean {
    return this.inner.retainsModelOutput;
  }
  setTimesteps(n: number): void {
    this.inner.setTimesteps(n);
  }
  setBeginIndex(i: number): void {
    this.inner.setBeginIndex(i);
  }
  scaleModelInput(sample: Float32Array, t: number, out?: Float32Array): Float32Array {
    return this.inner.scaleModelInput(sample, t, out);
  }
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return this.inner.addNoise(original, noise, t);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, generator?: NoiseGenerator): StepResult {
    const res = this.inner.step(modelOutput, t, sample, generator);
    this.last = res.predOriginalSample?.slice() ?? this.estimate(modelOutput, t, sample);
    return res;
  }

  private estimate(eps: Float32Array, t: number, x: Float32Array): Float32Array {
    const v = this.inner.config.prediction_type === 'v_prediction';
    const out = new Float32Array(x.length);
    if (SIGMA_SPACE.has(this.inner.className) && this.inner.sigmas !== undefined) {
      const i = Math.max(0, this.inner.timesteps.indexOf(t));
      const s = this.inner.sigmas[i] ?? 0;
      const cSkip = v ? 1 / (s * s + 1) : 1;
      const cOut = v ? -s / Math.sqrt(s * s + 1) : -s;
      for (let k = 0; k < out.length; k++) out[k] = cSkip * (x[k] as number) + cOut * (eps[k] as number);
      return out;
    }
    const a = this.inner.alphasCumprod[Math.min(this.inner.alphasCumprod.length - 1, Math.max(0, Math.round(t)))] ?? 1;
    const sa = Math.sqrt(a);
    const sb = Math.sqrt(1 - a);
    for (let k = 0; k < out.length; k++) {
      out[k] = v ? sa * (x[k] as number) - sb * (eps[k] as number) : ((x[k] as number) - sb * (eps[k] as number)) / sa;
    }
    return out;
  }
}

/** A scheduler of the model's training schedule for an A1111 sampler (class + the sampler's keys). */
export function samplerScheduler(model: LoadedModel, className: string, overrides: SchedulerConfig): X0Tracker {
  return new X0Tracker(createScheduler(className, { ...model.info.schedulerConfig, ...overrides }));
}

export interface PassInput {
  model: LoadedModel;
  scheduler: X0Tracker;
  timesteps: readonly number[];
  latents: Float32Array;
  shape: LatentShape;
  noise: BatchNoise;
  segments: readonly CondSegment[];
  conds: ConditioningCache;
  extraChannels?: Float32Array | undefined;
  afterStep?: ((latents: Float32Array, step: number) => Float32Array) | undefined;
  /** SDXL's size conditioning for the pass's size (undefined for UNets without it). */
  timeIds?: Float32Array | undefined;
  signal: AbortSignal;
  /** After every step: its 1-based number, the total, the denoised estimate. */
  onStep?: (step: number, total: number, denoised: Float32Array) => void;
}

export interface PassResult {
  latents: Float32Array;
  /** The pass was ended early by /interrupt or /skip (latents are then the last denoised estimate). */
  stopped: boolean;
}

/** Runs the pass; `stopByUser` decides whether an abort was the user's (keep the estimate) or the job's (rethrow). */
export async function runPass(input: PassInput, stopByUser: (err: unknown) => boolean): Promise<PassResult> {
  const unet = await input.model.unet();
  let latents = input.latents;
  const total = input.timesteps.length;
  try {
    for (const seg of input.segments) {
      const from = Math.min(seg.from, total);
      const to = Math.min(seg.to, total);
      if (from >= to) continue;
      const c = await input.conds.get(seg);
      const after = input.afterStep;
      latents = await denoise({
        unet,
        scheduler: input.scheduler,
        timesteps: input.timesteps.slice(from, to),
        latents,
        shape: input.shape,
        cond: c.cond,
        uncond: c.uncond,
        guidance: seg.guidance,
        noise: input.noise,
        signal: input.signal,
        ...(c.mix ? { mix: c.mix } : {}),
        ...(input.extraChannels ? { extraChannels: input.extraChannels } : {}),
        ...(input.timeIds ? { timeIds: input.timeIds } : {}),
        ...(after ? { afterStep: (l: Float32Array, i: number) => after(l, from + i) } : {}),
        onStep: (info) => input.onStep?.(from + info.step, total, input.scheduler.last ?? info.latents),
      });
    }
    return { latents, stopped: false };
  } catch (err) {
    if (!stopByUser(err)) throw err;
    return { latents: input.scheduler.last ?? latents, stopped: true };
  }
}
