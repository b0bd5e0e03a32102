import { BridgeError } from '@latent-bridge/shared';
import type { OnnxModel } from '../runtime/index.js';
import { joinRows, repeatRows, sliceRows, type ConditionRows } from './condition-rows.js';
import { MixedGuidance, type WeightedEmbedding } from './conditioning.js';
import type { PromptEmbedding } from './prompt-encoding.js';
import type { NoiseGenerator, Scheduler } from './schedulers/types.js';
import { guidanceRows, guidanceScaleEmbedding } from './guidance-embedding.js';

export interface StepInfo {
  step: number;
  total: number;
  timestep: number;
  /** The latents after this step, [batch, 4, h, w] flattened; previews decode these. */
  latents: Float32Array;
}

export type CfgMode = 'auto' | 'batched' | 'separate';

export interface DenoiseOptions {
  unet: OnnxModel;
  scheduler: Scheduler;
  timesteps: readonly number[];
  latents: Float32Array;
  /** [batch, 4, h, w] */
  shape: readonly [number, number, number, number];
  cond: PromptEmbedding;
  uncond: PromptEmbedding | undefined;
  guidance: number;
  noise: NoiseGenerator;
  cfgMode?: CfgMode;
  /**
   * Channels appended to the scaled model input for inpainting UNets (mask then masked-image latents,
   * [batch, 5, h, w]), as diffusers' inpaint pipeline concatenates them after scale_model_input.
   */
  extraChannels?: Float32Array;
  /** Runs after each scheduler step and may rewrite the latents (the legacy inpaint blend). */
  afterStep?: (latents: Float32Array, stepIndex: number) => Float32Array;
  /** Mixed guidance in 'noise' mode: one prediction per prompt, combined by weight; `cond` is then unused. */
  mix?: readonly WeightedEmbedding[];
  /**
   * SDXL's size conditioning (original h, w, crop top, left, target h, w) for every row, the
   * negative branch included: diffusers' negative sizes default to the positive ones.
   */
  timeIds?: Float32Array;
  onStep?: (info: StepInfo) => void;
  signal?: AbortSignal;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BridgeError('cancelled', 'The job was cancelled.');
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * The UNet's sample buffer, allocated once per loop: `copies` × [batch, C + extra, h, w]. The
 * extra channels (inpainting) are the same at every step, so they are written once; each step
 * only writes the scaled latents in.
 */
class SampleBuffer {
  readonly data: Float32Array;
  private readonly latentPer: number;
  private readonly samplePer: number;
  private readonly blocks: number;

  constructor(perImage: number, batch: number, extra: Float32Array | undefined, copies: number) {
    const extraPer = extra ? extra.length / batch : 0;
    this.latentPer = perImage;
    this.samplePer = perImage + extraPer;
    this.blocks = copies * batch;
    this.data = new Float32Array(this.blocks * this.samplePer);
    if (extra) {
      for (let i = 0; i < this.blocks; i++) {
        const b = i % batch;
        this.data.set(extra.subarray(b * extraPer, (b + 1) * extraPer), i * this.samplePer + perImage);
      }
    }
  }

  /** Writes [batch, C, h, w] latents into every copy; returns the whole buffer. */
  fill(latents: Float32Array): Float32Array {
    const batch = latents.length / this.latentPer;
    for (let i = 0; i < this.blocks; i++) {
      const b = i % batch;
      this.data.set(latents.subarray(b * this.latentPer, (b + 1) * this.latentPer), i * this.samplePer);
    }
    return this.data;
  }
}

/**
 * An exported UNet fails inside a Concat when a side cannot be halved evenly at every level (its
 * upsampling was traced at one size). Said in the user's terms: the size, and one that works.
 */
export function unevenSizeError(err: unknown, h: number, w: number): BridgeError | undefined {
  if (!(err instanceof BridgeError) || err.code !== 'inference_failed' || !err.message.includes('Concat')) return undefined;
  if (h % 8 === 0 && w % 8 === 0) return undefined;
  const near = (latent: number) => Math.max(64, Math.round(latent / 8) * 64);
  return new BridgeError(
    'invalid_field',
    `width×height: ${w * 8}×${h * 8} does not fit this model's UNet, which halves the image at every level and ` +
      `needs sides in multiples of 64 (Stable Diffusion); try ${near(w)}×${near(h)}`,
    w % 8 !== 0 ? 'width' : 'height',
  );
}

/** Whether the UNet accepts a batch larger than one (exports with a fixed batch of 1 exist). */
export function unetBatchLimit(unet: OnnxModel): number {
  const dim = unet.inputs.find((i) => i.name === 'sample')?.dims[0];
  return typeof dim === 'number' && dim > 0 ? dim : Number.POSITIVE_INFINITY;
}

/**
 * The denoising loop of diffusers' StableDiffusionPipeline: per timestep scale_model_input, one
 * UNet call on [uncond, cond] (or two calls when the model cannot batch), guidance
 * uncond + g·(cond − uncond), scheduler.step with the shared generator.
 */
export async function denoise(options: DenoiseOptions): Promise<Float32Array> {
  const { unet, scheduler, timesteps, shape, cond, uncond, guidance, noise, signal } = options;
  const [batch, channels, h, w] = shape;
  const perImage = channels * h * w;
  const condRows = repeatRows(cond, batch);
  const uncondRows = uncond ? repeatRows(uncond, batch) : undefined;
  const limit = unetBatchLimit(unet);
  const mode = options.cfgMode ?? 'auto';
  const batched = uncondRows !== undefined && mode !== 'separate' && (mode === 'batched' || limit >= 2 * batch);
  const perCall = Math.max(1, Math.min(batch, Number.isFinite(limit) ? limit : batch));
  const bothRows = uncondRows && batched ? joinRows(uncondRows, condRows) : undefined;
  const sampleChannels = channels + (options.extraChannels ? options.extraChannels.length / batch / (h * w) : 0);
  const mixed = options.mix && options.mix.length > 1 ? new MixedGuidance(options.mix, uncond, guidance, batch) : undefined;
  const added = addedConditioning(unet, options.timeIds);
  const lcm = lcmConditioning(unet, guidance);

  const runUnet = async (sample: Float32Array, rows: ConditionRows, t: number) => {
    const n = rows.rows;
    const out = await unet
      .run({
        sample: { data: sample, dims: [n, sampleChannels, h, w] },
        timestep: { data: new Float32Array([t]), dims: [1] },
        encoder_hidden_states: { data: rows.states, dims: [n, rows.tokens, rows.hidden] },
        ...added(rows),
        ...lcm(n),
      })
      .catch((err: unknown) => {
        throw unevenSizeError(err, h, w) ?? err;
      });
    const result = out['out_sample'] ?? Object.values(out)[0];
    if (!result) throw new BridgeError('inference_failed', 'UNet returned no output', 'unet');
    return result.data as Float32Array;
  };

  /** Noise prediction for `sample` ([batch, C, h, w]) with one prompt's rows, in model-sized batches. */
  const predict = async (sample: Float32Array, rows: ConditionRows, t: number) => {
    if (perCall >= batch) return runUnet(sample, rows, t);
    const sampleStride = sampleChannels * h * w;
    const parts: Float32Array[] = [];
    for (let i = 0; i < batch; i += perCall) {
      const n = Math.min(perCall, batch - i);
      parts.push(await runUnet(sample.subarray(i * sampleStride, (i + n) * sampleStride), sliceRows(rows, i, n), t));
    }
    return concat(parts);
  };

  // [uncond, cond] in one call needs the sample twice; every other way runs on one copy.
  const samples = new SampleBuffer(perImage, batch, options.extraChannels, bothRows ? 2 : 1);
  const oneCopy = samples.data.subarray(0, batch * sampleChannels * h * w);
  const scaledInput = new Float32Array(batch * perImage);
  // One prediction buffer for the whole loop, unless the scheduler keeps what it is given.
  const prediction = scheduler.retainsModelOutput ? undefined : new Float32Array(batch * perImage);
  let latents = options.latents;
  for (let i = 0; i < timesteps.length; i++) {
    throwIfAborted(signal);
    const t = timesteps[i] as number;
    samples.fill(scheduler.scaleModelInput(latents, t, scaledInput));

    let noisePred: Float32Array;
    if (mixed) {
      noisePred = await mixed.predict((rows) => predict(oneCopy, rows, t), guide);
    } else if (!uncondRows) {
      noisePred = await predict(oneCopy, condRows, t);
    } else if (bothRows) {
      const both = await runUnet(samples.data, bothRows, t);
      noisePred = guide(both.subarray(0, batch * perImage), both.subarray(batch * perImage), guidance, prediction);
    } else {
      const u = await predict(oneCopy, uncondRows, t);
      const c = await predict(oneCopy, condRows, t);
      noisePred = guide(u, c, guidance, prediction);
    }
    throwIfAborted(signal);
    latents = scheduler.step(noisePred, t, latents, noise).prevSample;
    if (options.afterStep) latents = options.afterStep(latents, i);
    options.onStep?.({ step: i + 1, total: timesteps.length, timestep: t, latents });
  }
  return latents;
}

/**
 * An LCM UNet's `timestep_cond`: the guidance scale embedded for every row (the model was
 * distilled with guidance inside, so the job runs no unconditional pass; see usesCfg).
 */
function lcmConditioning(unet: OnnxModel, guidance: number): (rows: number) => Record<string, { data: Float32Array; dims: number[] }> {
  const input = unet.input('timestep_cond');
  if (input === undefined) return () => ({});
  const dim = input.dims[1];
  if (typeof dim !== 'number' || dim < 2) {
    throw new BridgeError('model_invalid', `unet: timestep_cond must have a fixed width (time_cond_proj_dim), got ${String(dim)}`, 'unet');
  }
  const embedding = guidanceScaleEmbedding(guidance, dim);
  // The same few batch sizes every step: each feed is built once.
  const byRows = new Map<number, Record<string, { data: Float32Array; dims: number[] }>>();
  return (rows) => {
    let feed = byRows.get(rows);
    if (feed === undefined) byRows.set(rows, (feed = { timestep_cond: { data: guidanceRows(embedding, rows), dims: [rows, dim] } }));
    return feed;
  };
}

/** Whether a job runs an unconditional pass: guidance above 1, and a UNet without LCM's guidance input. */
export function usesCfg(unet: OnnxModel, guidance: number): boolean {
  return guidance > 1 && unet.input('timestep_cond') === undefined;
}

/**
 * The UNet's extra inputs beyond sample/timestep/states: SDXL's pooled text embedding and size ids
 * (text_embeds, time_ids), when its graph declares them.
 */
function addedConditioning(unet: OnnxModel, timeIds: Float32Array | undefined): (rows: ConditionRows) => Record<string, { data: Float32Array; dims: number[] }> {
  if (unet.input('text_embeds') === undefined && unet.input('time_ids') === undefined) return () => ({});
  if (timeIds === undefined || timeIds.length !== 6) {
    throw new BridgeError('model_invalid', 'this UNet takes SDXL size conditioning (time_ids) but the job has none', 'unet');
  }
  return (rows) => {
    if (rows.pooled === undefined) {
      throw new BridgeError('model_invalid', 'this UNet takes a pooled text embedding (text_embeds); the text encoders gave none', 'text_encoder_2');
    }
    const ids = new Float32Array(6 * rows.rows);
    for (let r = 0; r < rows.rows; r++) ids.set(timeIds, r * 6);
    return {
      text_embeds: { data: rows.pooled, dims: [rows.rows, rows.pooled.length / rows.rows] },
      time_ids: { data: ids, dims: [rows.rows, 6] },
    };
  };
}

/** Classifier-free guidance: uncond + g·(cond − uncond), in float32 like torch; into `into` when given. */
export function guide(uncond: Float32Array, cond: Float32Array, g: number, into?: Float32Array): Float32Array {
  const out = into !== undefined && into.length === cond.length ? into : new Float32Array(cond.length);
  const gf = Math.fround(g);
  for (let i = 0; i < out.length; i++) {
    const u = uncond[i] as number;
    out[i] = u + Math.fround(gf * Math.fround((cond[i] as number) - u));
  }
  return out;
}
