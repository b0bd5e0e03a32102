/**
 * The pieces of a sampling pass both modes assemble: the sampler's scheduler, the 9-channel
 * conditioning of inpainting models, and the progress/preview/stop wiring into A1111's state.
 */
import type { LoadedModel } from '../../pipeline/loaded-model.js';
import { rgbaToChw, type RgbaImage } from '../../image/index.js';
import type { BatchNoise } from '../../pipeline/noise.js';
import { sizeConditioning } from '../../pipeline/run-core.js';
import type { ResolvedSampler } from '../samplers.js';
import { encodeImages, previewEvery, type RunContext } from './common.js';
import type { ConditioningCache, CondSegment } from './conditioning-plan.js';
import { runPass, samplerScheduler, type LatentShape, type PassResult, type X0Tracker } from './sampling.js';

export function schedulerOf(model: LoadedModel, sampler: ResolvedSampler): X0Tracker {
  return samplerScheduler(model, sampler.className, sampler.overrides);
}

/** Whether the model's UNet is an inpainting one (9 input channels). */
export function inpaintingUnet(model: LoadedModel): boolean {
  return model.info.inChannels === 9;
}

/**
 * The mask and masked-image latents an inpainting UNet takes: `mask` (per latent cell, 1 =
 * repaint) for each image, and the images (3×H×W in [-1, 1]) with the repaint area zeroed.
 * Without a mask: everything is repainted and the masked image is all zeros (mid grey), as A1111's
 * txt2img_image_conditioning.
 */
export async function inpaintingChannels(
  model: LoadedModel,
  shape: LatentShape,
  maskedImages: readonly Float32Array[] | undefined,
  latentMask: Float32Array | undefined,
  seed: number,
): Promise<Float32Array> {
  const [batch, , lh, lw] = shape;
  const plane = lh * lw;
  const images = maskedImages ?? Array.from({ length: batch }, () => new Float32Array(3 * lh * 8 * lw * 8));
  const latents = await encodeImages(model, images, lw * 8, lh * 8, seed);
  const extra = new Float32Array(batch * 5 * plane);
  for (let b = 0; b < batch; b++) {
    const m = latentMask ?? new Float32Array(plane).fill(1);
    extra.set(m.subarray(0, plane), b * 5 * plane);
    const src = latents.subarray((images.length === 1 ? 0 : b) * 4 * plane, ((images.length === 1 ? 0 : b) + 1) * 4 * plane);
    extra.set(src, (b * 5 + 1) * plane);
  }
  return extra;
}

/** An opaque image as the 3×H×W tensor in [-1, 1] the VAE encoder takes. */
export function toChw(img: RgbaImage): Float32Array {
  return rgbaToChw(img);
}

export interface PassSpec {
  ctx: RunContext;
  scheduler: X0Tracker;
  timesteps: readonly number[];
  latents: Float32Array;
  shape: LatentShape;
  noise: BatchNoise;
  segments: readonly CondSegment[];
  conds: ConditioningCache;
  extraChannels?: Float32Array | undefined;
  afterStep?: ((latents: Float32Array, step: number) => Float32Array) | undefined;
}

/** Runs a pass with A1111's progress counters, live previews and /interrupt and /skip. */
export async function statefulPass(spec: PassSpec): Promise<PassResult> {
  const { ctx } = spec;
  const { state } = ctx;
  state.samplingSteps = spec.timesteps.length;
  state.samplingStep = 0;
  const every = previewEvery(ctx.options);
  const signal = state.startPass(ctx.signal);
  return runPass(
    {
      model: ctx.model,
      scheduler: spec.scheduler,
      timesteps: spec.timesteps,
      latents: spec.latents,
      shape: spec.shape,
      noise: spec.noise,
      segments: spec.segments,
      conds: spec.conds,
      extraChannels: spec.extraChannels,
      afterStep: spec.afterStep,
      timeIds: sizeConditioning(ctx.model, spec.shape[3] * 8, spec.shape[2] * 8),
      signal,
      onStep: (step, _total, denoised) => {
        state.samplingStep = step;
        if (every !== undefined && step % every === 0) state.preview = { data: denoised, shape: spec.shape, step };
      },
    },
    (err) => state.stoppedByUser(ctx.signal, err),
  );
}
