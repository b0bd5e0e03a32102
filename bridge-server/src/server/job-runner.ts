import { BridgeError, type Limits } from '@latent-bridge/shared';
import { encodeJpeg, encodePng, type RgbaImage } from '../image/index.js';
import { formatParameters, samplerLabel } from '../metadata/a1111.js';
import type { PipelineLimits } from '../pipeline/params.js';
import type { GenerateResult, ProgressEvent } from '../pipeline/txt2img.js';
import type { EncodedImage, JobEvents, JobSpec } from './job-types.js';
import { latentPreview } from './latent-preview.js';
import type { ModelCache } from './model-cache.js';
import { runPipeline } from './pipeline-entry.js';

export interface RunContext {
  cache: ModelCache;
  limits: Limits;
  /** Told when a model starts and stops loading (for `status.state`). */
  onLoading?: (loading: boolean) => void;
}

export interface RunOutcome {
  results: number;
  timings: Record<string, number>;
}

/** Pipeline limits from the server's protocol limits; the protocol already bounds each side by 8192. */
export function pipelineLimits(limits: Limits): PipelineLimits {
  return { maxPixels: limits.maxPixels, maxSteps: limits.maxSteps, maxBatch: limits.maxBatch, maxPromptChars: limits.maxPromptChars, maxSide: 8192 };
}

/**
 * Runs one job on its model and reports through `events`: progress every step (with an ETA),
 * previews every `previewEvery` steps, then every result. Throws BridgeError on failure, the
 * pipeline's `cancelled` when `signal` aborts (the pipeline checks it between steps).
 */
export async function runJob(spec: JobSpec, events: JobEvents, signal: AbortSignal, ctx: RunContext, enqueuedAt: number): Promise<RunOutcome> {
  const began = performance.now();
  const queueMs = Math.max(0, Date.now() - enqueuedAt);
  const needsLoad = !ctx.cache.has(spec.model);
  if (needsLoad) ctx.onLoading?.(true);
  let loadMs = 0;
  let loaded = false;
  const previews = new PreviewSender(spec, events);
  const progress = new ProgressReporter(events);

  const outcome = await ctx.cache
    .with(spec.model, async (model) => {
      loadMs = performance.now() - began;
      loaded = true;
      if (needsLoad) ctx.onLoading?.(false);
      if (signal.aborted) throw new BridgeError('cancelled', 'The job was cancelled.');
      const result = await runPipeline(model, spec.request, {
        signal,
        limits: pipelineLimits(ctx.limits),
        onProgress: (e) => {
          progress.step(e);
          previews.maybeSend(e);
        },
      });
      // Previews still encoding must reach the client before the results do.
      await previews.flush();
      return sendResults(spec, result, events);
    })
    .finally(() => {
      if (needsLoad && !loaded) ctx.onLoading?.(false);
    });

  return {
    results: outcome.results,
    timings: {
      queueMs,
      loadMs: Math.round(loadMs),
      encodeMs: Math.round(outcome.timings.encodeMs),
      denoiseMs: Math.round(outcome.timings.denoiseMs),
      decodeMs: Math.round(outcome.timings.decodeMs),
      resultMs: Math.round(outcome.resultMs),
      totalMs: Math.round(queueMs + performance.now() - began),
    },
  };
}

async function sendResults(spec: JobSpec, result: GenerateResult, events: JobEvents): Promise<{ results: number; timings: GenerateResult['timings']; resultMs: number }> {
  const started = performance.now();
  const sampler = samplerLabel(result.scheduler, spec.model.schedulerConfig);
  const strength = result.strength;
  for (const item of result.images) {
    const parameters = formatParameters({
      prompt: result.params.prompt,
      negative: result.params.negative,
      steps: result.params.steps,
      sampler,
      guidance: result.params.guidance,
      seed: item.seed,
      width: result.params.width,
      height: result.params.height,
      model: spec.model.name,
      ...(strength !== undefined ? { strength } : {}),
    });
    const image = spec.resultFormat === 'png' ? await pngResult(item.image, parameters) : rawResult(item.image);
    events.result(item.index, item.seed, parameters, image);
  }
  return { results: result.images.length, timings: result.timings, resultMs: performance.now() - started };
}

export function rawResult(image: RgbaImage): EncodedImage {
  return { format: 'raw-rgba', width: image.width, height: image.height, channels: 4, bitDepth: 8, payload: image.data };
}

export async function pngResult(image: RgbaImage, parameters: string): Promise<EncodedImage> {
  const payload = await encodePng(image, { text: [{ keyword: 'parameters', text: parameters }] });
  return { format: 'png', width: image.width, height: image.height, ...pngChannels(payload), payload };
}

/** Channels and bit depth of an encoded PNG, from its IHDR (colour type 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA). */
export function pngChannels(png: Uint8Array): { channels: number; bitDepth: 8 | 16 } {
  const depth = png[24] === 16 ? 16 : 8;
  const colourType = png[25];
  const channels = colourType === 0 ? 1 : colourType === 4 ? 2 : colourType === 6 ? 4 : 3;
  return { channels, bitDepth: depth };
}

/** progress messages with an ETA from the mean step time so far. */
class ProgressReporter {
  private firstAt: number | undefined;
  private firstStep = 0;

  constructor(private readonly events: JobEvents) {}

  step(e: ProgressEvent): void {
    const batch = e.shape[0];
    const now = performance.now();
    let etaMs: number | undefined;
    if (this.firstAt === undefined) {
      this.firstAt = now;
      this.firstStep = e.step;
    } else if (e.step > this.firstStep) {
      const perStep = (now - this.firstAt) / (e.step - this.firstStep);
      etaMs = Math.max(0, Math.round(perStep * (e.total - e.step)));
    }
    if (e.step === e.total) etaMs = 0;
    this.events.progress(e.step * batch, e.total * batch, etaMs);
  }
}

/** Latent previews, each batch item, every n-th step; JPEG encoding runs off the step path, in order. */
class PreviewSender {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly spec: JobSpec,
    private readonly events: JobEvents,
  ) {}

  maybeSend(e: ProgressEvent): void {
    const every = this.spec.previewEvery;
    if (every === undefined || e.step % every !== 0 || !this.events.wantsPreview()) return;
    const batch = e.shape[0];
    for (let index = 0; index < batch; index++) {
      const image = latentPreview(e.latents, e.shape, index);
      if (this.spec.previewFormat === 'raw-rgba') {
        const raw = rawResult(image);
        this.chain = this.chain.then(() => this.events.preview(index, e.step, raw));
      } else {
        this.chain = this.chain
          .then(async () => {
            const payload = await encodeJpeg(image, { quality: 80 });
            this.events.preview(index, e.step, { format: 'jpeg', width: image.width, height: image.height, channels: 3, bitDepth: 8, payload });
          })
          .catch(() => undefined);
      }
    }
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
