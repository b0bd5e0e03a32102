import { BridgeError, type Limits } from '@latent-bridge/shared';
import { parametersText } from '../metadata/parameters-text.js';
import type { JobEvents, JobSpec } from './job-types.js';
import { JobOutput, ProgressReporter } from './job-output.js';
import type { ModelCache } from './model-cache.js';
import { applyJobEmbeddings } from './job-embeddings.js';
import { applyJobLoras } from './job-loras.js';
import { taesdPreview } from '../pipeline/preview-decoder.js';
import { pipelineLimits, runPipeline } from './pipeline-entry.js';
import { runAnimation, runPromptList, type SequenceContext } from './sequence-runner.js';

export { pngChannels, pngResult, rawResult } from './job-output.js';
export { pipelineLimits } from './pipeline-entry.js';

export interface RunContext {
  cache: ModelCache;
  limits: Limits;
  /** Told when a model starts and stops loading (for `status.state`). */
  onLoading?: (loading: boolean) => void;
}

export interface RunOutcome {
  results: number;
  timings: Record<string, number>;
  warnings?: string[];
}

/** Pipeline timings of a job, summed over its images (frames, entries). */
export type PipelineTimings = Partial<Record<'encodeMs' | 'denoiseMs' | 'decodeMs', number>>;

/**
 * Runs one job on its model and reports through `events`: progress every step (with an ETA),
 * previews every `previewEvery` steps, and every result as soon as it exists (an animation's
 * frames and a prompt list's entries one by one). Throws BridgeError on failure, the pipeline's
 * `cancelled` when `signal` aborts (the pipeline checks it between steps).
 */
export async function runJob(asked: JobSpec, events: JobEvents, signal: AbortSignal, ctx: RunContext, enqueuedAt: number): Promise<RunOutcome> {
  const began = performance.now();
  const queueMs = Math.max(0, Date.now() - enqueuedAt);
  const { spec, warnings: networkWarnings } = await withLoras(asked, ctx);
  const loraMs = performance.now() - began;
  const needsLoad = !ctx.cache.has(spec.model);
  if (needsLoad) ctx.onLoading?.(true);
  let loadMs = 0;
  let loaded = false;
  const out = new JobOutput(spec, events, signal);
  // LoRA modules that changed nothing in this model are named in `done.warnings`.
  out.warn(networkWarnings);
  const progress = new ProgressReporter(events);

  const timings = await ctx.cache
    .with(spec.model, async (model) => {
      loadMs = performance.now() - began - loraMs;
      loaded = true;
      if (needsLoad) ctx.onLoading?.(false);
      if (signal.aborted) throw new BridgeError('cancelled', 'The job was cancelled.');
      if (out.wantsPreviews) {
        const taesd = await model.previewDecoder();
        if (taesd !== undefined) out.usePreviewDecoder((latents, shape, index) => taesdPreview(taesd, latents, shape, index));
      }
      const seq: SequenceContext = { model, spec, out, progress, options: { signal, limits: pipelineLimits(ctx.limits) } };
      const made =
        spec.sequence?.kind === 'animation'
          ? await runAnimation(seq, spec.sequence)
          : spec.sequence?.kind === 'prompts'
            ? await runPromptList(seq, spec.sequence.entries)
            : spec.sequence?.kind === 'custom'
              ? await spec.sequence.run(seq)
              : await runSingle(seq);
      // Previews and results still encoding must reach the client before `done`.
      await out.flush();
      return made;
    })
    .finally(() => {
      if (needsLoad && !loaded) ctx.onLoading?.(false);
    });

  const rounded = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]));
  return {
    results: out.sent,
    timings: {
      queueMs,
      ...(asked.loras !== undefined ? { loraMs: Math.round(loraMs) } : {}),
      loadMs: Math.round(loadMs),
      ...rounded,
      resultMs: Math.round(out.resultMs),
      totalMs: Math.round(queueMs + performance.now() - began),
    },
    ...(out.warnings.length > 0 ? { warnings: [...out.warnings] } : {}),
  };
}

/**
 * The job on its model with its LoRAs merged and the folder's embeddings added (each a copy made
 * once per set and kept, so a repeated set costs a few file checks).
 */
async function withLoras(spec: JobSpec, ctx: RunContext): Promise<{ spec: JobSpec; warnings: string[] }> {
  if (spec.loras === undefined && spec.embeddings === undefined) return { spec, warnings: [] };
  ctx.onLoading?.(true);
  try {
    let model = spec.model;
    let infotext = { ...spec.infotext };
    const warnings: string[] = [];
    if (spec.loras !== undefined) {
      const applied = await applyJobLoras(model, spec.loras);
      warnings.push(...applied.warnings);
      model = applied.info;
      infotext = { ...infotext, ...applied.fields };
    }
    if (spec.embeddings !== undefined) {
      const applied = await applyJobEmbeddings(model, spec.embeddings, [spec.request.prompt, spec.request.negative ?? '']);
      model = applied.info;
      infotext = { ...infotext, ...applied.fields };
    }
    return { spec: { ...spec, model, infotext }, warnings };
  } finally {
    ctx.onLoading?.(false);
  }
}

/** One generate of any mode: `batch` results at the end. */
async function runSingle({ model, spec, out, progress, options }: SequenceContext): Promise<PipelineTimings> {
  const result = await runPipeline(model, spec.request, {
    ...options,
    onProgress: (e) => {
      const batch = e.shape[0];
      progress.step(e.step * batch, e.total * batch);
      out.maybePreview(e);
    },
  });
  const config = { ...spec.model.schedulerConfig };
  out.warn(result.warnings);
  // A1111 keeps the <lora:…> tags in the prompt it records, so the image reproduces with them.
  const params = spec.loras !== undefined ? { ...result.params, ...spec.loras.original } : result.params;
  for (const item of result.images) {
    const parameters = parametersText(params, item.seed, result.scheduler, { name: spec.model.name, hash: spec.model.provenance?.shortHash }, config, spec.infotext ?? {}, result.strength);
    out.result(item.index, item.seed, parameters, item.image);
  }
  const { encodeMs, denoiseMs, decodeMs } = result.timings;
  return { encodeMs, denoiseMs, decodeMs };
}
