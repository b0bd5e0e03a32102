import { encodeJpeg, encodePng, type RgbaImage } from '../image/index.js';
import type { ProgressEvent } from '../pipeline/txt2img.js';
import type { EncodedImage, JobEvents, JobSpec } from './job-types.js';
import { latentPreview, stepPreview, type PreviewDecoder } from './latent-preview.js';

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
export class ProgressReporter {
  private firstAt: number | undefined;
  private firstStep = 0;

  constructor(private readonly events: JobEvents) {}

  /** `step` of `total` done, counted over the whole job (every batch item, frame or entry). */
  step(step: number, total: number): void {
    const now = performance.now();
    let etaMs: number | undefined;
    if (this.firstAt === undefined) {
      this.firstAt = now;
      this.firstStep = step;
    } else if (step > this.firstStep) {
      const perStep = (now - this.firstAt) / (step - this.firstStep);
      etaMs = Math.max(0, Math.round(perStep * (total - step)));
    }
    if (step === total) etaMs = 0;
    this.events.progress(step, total, etaMs);
  }
}

/** The share of a job's time that decoded (TAESD) previews may take. */
export const PREVIEW_BUDGET = 0.05;

/**
 * Previews and results of one job, sent in the order they were made. Encoding (JPEG previews, PNG
 * results) runs off the step path on one chain, so a frame's previews still reach the client
 * before its result; nothing is sent once the job is aborted, so a cancelled job sends no result
 * after its cancel.
 */
export class JobOutput {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private sentCount = 0;
  /** Milliseconds spent encoding and handing over results. */
  resultMs = 0;
  /** What `done` tells the user besides the results (each once), e.g. a prompt cut to fit the UNet. */
  readonly warnings: string[] = [];
  /** Milliseconds spent decoding previews with the preview decoder (TAESD). */
  previewMs = 0;
  private previewDecoder: PreviewDecoder | undefined;
  private decoderSince = 0;
  private decoding = 0;

  constructor(
    private readonly spec: JobSpec,
    private readonly events: JobEvents,
    private readonly signal: AbortSignal,
  ) {}

  /** Records warnings of a pipeline result for `done` (repeats across frames or entries once). */
  warn(warnings: readonly string[] | undefined): void {
    for (const w of warnings ?? []) if (!this.warnings.includes(w)) this.warnings.push(w);
  }

  /** Results handed to the client so far. */
  get sent(): number {
    return this.sentCount;
  }

  /** Whether this job sends previews at all (so a preview decoder is worth opening). */
  get wantsPreviews(): boolean {
    return this.spec.previewEvery !== undefined;
  }

  /** Previews from now on decode with `decoder` (TAESD) instead of the linear latent map. */
  usePreviewDecoder(decoder: PreviewDecoder | undefined): void {
    this.previewDecoder = decoder;
    this.decoderSince = performance.now();
  }

  /** Latent previews of step `e`, every n-th step; batch item i goes out as index `indexOf(i)`. */
  maybePreview(e: ProgressEvent, indexOf: (batchItem: number) => number = (i) => i): void {
    const every = this.spec.previewEvery;
    if (every === undefined || e.step % every !== 0 || !this.events.wantsPreview()) return;
    // Decoded previews may take PREVIEW_BUDGET of the job's time, one step's at a time; a step past
    // the budget, or while one is still decoding, gets the linear map.
    const affordable = this.decoding === 0 && this.previewMs <= PREVIEW_BUDGET * (performance.now() - this.decoderSince);
    const decoder = affordable ? this.previewDecoder : undefined;
    if (decoder !== undefined) {
      // The loop reuses its latent buffers: the decode, which runs later on the chain, gets a copy.
      const [, c, h, w] = e.shape;
      const per = c * h * w;
      for (let item = 0; item < e.shape[0]; item++) {
        const latents = e.latents.slice(item * per, (item + 1) * per);
        const index = indexOf(item);
        this.decoding++;
        this.then(async () => {
          const started = performance.now();
          try {
            const image = await stepPreview(decoder, latents, [1, c, h, w], 0);
            this.previewMs += performance.now() - started;
            await this.sendPreview(index, e.step, image);
          } finally {
            this.decoding--;
          }
        });
      }
      return;
    }
    for (let item = 0; item < e.shape[0]; item++) {
      const image = latentPreview(e.latents, e.shape, item);
      const index = indexOf(item);
      if (this.spec.previewFormat === 'raw-rgba') {
        const raw = rawResult(image);
        this.then(() => this.events.preview(index, e.step, raw));
      } else {
        // A preview is optional: one that fails to encode is skipped, not the job.
        this.then(async () => {
          const payload = await encodeJpeg(image, { quality: 80 }).catch(() => undefined);
          if (payload !== undefined) this.events.preview(index, e.step, { format: 'jpeg', width: image.width, height: image.height, channels: 3, bitDepth: 8, payload });
        });
      }
    }
  }

  private async sendPreview(index: number, step: number, image: RgbaImage): Promise<void> {
    if (this.spec.previewFormat === 'raw-rgba') {
      this.events.preview(index, step, rawResult(image));
      return;
    }
    const payload = await encodeJpeg(image, { quality: 80 }).catch(() => undefined);
    if (payload !== undefined) this.events.preview(index, step, { format: 'jpeg', width: image.width, height: image.height, channels: 3, bitDepth: 8, payload });
  }

  result(index: number, seed: number, parameters: string, image: RgbaImage): void {
    this.then(async () => {
      const started = performance.now();
      const encoded = this.spec.resultFormat === 'png' ? await pngResult(image, parameters) : rawResult(image);
      if (this.signal.aborted) return;
      this.events.result(index, seed, parameters, encoded);
      this.sentCount++;
      this.resultMs += performance.now() - started;
    });
  }

  /** Throws the first failure to hand a result over, so a sequence stops at the frame that could not go out. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for everything queued; throws the first encoding failure. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Links stay resolved (a failure is kept for flush), so no rejection ever goes unhandled. */
  private then(work: () => void | Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined || this.signal.aborted) return;
      try {
        await work();
      } catch (err) {
        this.failure = err;
      }
    });
  }
}
