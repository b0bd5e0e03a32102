/**
 * Jobs with one result per frame (animation) or per entry (prompt list). Each result goes out as
 * soon as its image exists, so a client can show layers while the rest are made; progress counts
 * the steps of all frames or entries together.
 */
import type { PromptEntry } from '@latent-bridge/shared';
import { animationFields, parametersText } from '../metadata/parameters-text.js';
import { animate, resolveAnimation, type AnimationRequest } from '../pipeline/animate.js';
import type { LoadedModel } from '../pipeline/loaded-model.js';
import { generatePromptBatch } from '../pipeline/prompt-list.js';
import { schedulerFor } from '../pipeline/run-core.js';
import { img2imgTimesteps } from '../pipeline/schedulers/index.js';
import type { ProgressEvent, RunOptions } from '../pipeline/txt2img.js';
import type { PipelineTimings } from './job-runner.js';
import type { JobOutput, ProgressReporter } from './job-output.js';
import { entryParams } from './job-sequence.js';
import type { JobSequence, JobSpec } from './job-types.js';

export interface SequenceContext {
  model: LoadedModel;
  spec: JobSpec;
  out: JobOutput;
  progress: ProgressReporter;
  options: RunOptions;
}

/** How many denoising steps a txt2img run (or, with strength, an img2img run) of this scheduler makes. */
function stepCount(model: LoadedModel, scheduler: string | undefined, steps: number, strength?: number): number {
  const s = schedulerFor(model, scheduler);
  if (strength !== undefined) return img2imgTimesteps(s, steps, strength).timesteps.length;
  s.setTimesteps(steps);
  return s.timesteps.length;
}

/**
 * Steps of a sequence of runs as one count: item k's step s is step offset(k) + s of the sum of
 * all items' steps.
 */
class SequenceProgress {
  private readonly offsets: number[] = [];
  readonly total: number;
  current = 0;

  constructor(
    private readonly ctx: SequenceContext,
    counts: readonly number[],
  ) {
    let sum = 0;
    for (const c of counts) {
      this.offsets.push(sum);
      sum += c;
    }
    this.total = sum;
  }

  onProgress = (e: ProgressEvent): void => {
    // A frame that could not be sent ends the job: the frames after it would go nowhere.
    this.ctx.out.throwIfFailed();
    const offset = this.offsets[this.current] ?? this.total;
    this.ctx.progress.step(Math.min(this.total, offset + e.step), this.total);
    const index = this.current;
    this.ctx.out.maybePreview(e, () => index);
  };
}

export async function runAnimation(ctx: SequenceContext, sequence: Extract<JobSequence, { kind: 'animation' }>): Promise<PipelineTimings> {
  const { model, spec, out, options } = ctx;
  const { kind: _kind, ...fields } = sequence;
  const { mode: _mode, image: _image, mask: _mask, ...params } = spec.request;
  const request: AnimationRequest = { ...params, ...fields };
  // The same resolution animate() makes (the seed was fixed when the job was prepared).
  const { params: resolved, frames, toPrompt, toSeed, chain } = resolveAnimation(request, model.info.nativeSize, options.limits);
  const first = stepCount(model, resolved.scheduler, resolved.steps);
  const chained = chain === undefined ? first : stepCount(model, resolved.scheduler, resolved.steps, chain);
  const tracker = new SequenceProgress(ctx, Array.from({ length: frames }, (_, k) => (k === 0 ? first : chained)));
  const className = schedulerFor(model, resolved.scheduler).className;
  const config = { ...spec.model.schedulerConfig };
  const { timings, warnings } = await animate(model, request, {
    ...options,
    onProgress: tracker.onProgress,
    onFrame: (frame) => {
      tracker.current = frame.index + 1;
      const extra = animationFields({ frames, toPrompt, toSeed, chainStrength: chain, t: frame.t });
      out.result(frame.index, frame.seed, parametersText(resolved, frame.seed, className, { name: spec.model.name, hash: spec.model.provenance?.shortHash }, config, extra), frame.image);
    },
  });
  out.warn(warnings);
  const { encodeMs, denoiseMs, decodeMs } = timings;
  return { encodeMs, denoiseMs, decodeMs };
}

export async function runPromptList(ctx: SequenceContext, entries: readonly PromptEntry[]): Promise<PipelineTimings> {
  const { model, spec, out, options } = ctx;
  const list = entries.map((entry, i) => ({ line: i + 1, params: entryParams(spec.request, entry) }));
  const tracker = new SequenceProgress(
    ctx,
    list.map(({ params }) => stepCount(model, params.scheduler, params.steps ?? spec.request.steps ?? 1)),
  );
  const config = { ...spec.model.schedulerConfig };
  const timings = { encodeMs: 0, denoiseMs: 0, decodeMs: 0 };
  for await (const { index, result } of generatePromptBatch(model, list, {}, { ...options, onProgress: tracker.onProgress })) {
    tracker.current = index + 1;
    out.throwIfFailed();
    for (const key of ['encodeMs', 'denoiseMs', 'decodeMs'] as const) timings[key] += result.timings[key];
    out.warn(result.warnings);
    const image = result.images[0];
    if (image === undefined) continue;
    out.result(index, image.seed, parametersText(result.params, image.seed, result.scheduler, { name: spec.model.name, hash: spec.model.provenance?.shortHash }, config), image.image);
  }
  return timings;
}
