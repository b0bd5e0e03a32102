import { resolveJobLoras } from '../server/job-loras.js';
import { runJob } from '../server/job-runner.js';
import type { JobEvents, JobSpec } from '../server/job-types.js';
import { runA1111WireJob } from './a1111-worker.js';
import { errorOutcome, type Publish, type WorkerJobContext } from './worker-context.js';
import { runImportWireJob } from './worker-import.js';
import { encodeEvent, type ClusterKeys, type WireGenerateJob, type WireJob, type WireOutcome, type WireResult } from './wire.js';

/**
 * How often a worker looks whether a running job's front is still alive. Its liveness key lapses
 * frontTtlMs after the front's last beat, so a job can start in that window after the front died;
 * looking only at the start would run it to the end for nobody.
 */
export const FRONT_CHECK_MS = 1000;

export type { WorkerJobContext } from './worker-context.js';

/**
 * Runs one queued job on this worker's models: pixels from their blobs, the same runJob a single
 * bridge runs, progress and previews published to the job's front as they come, results put in
 * blobs for the front to collect. Every end is a returned outcome; only a dead worker makes
 * BullMQ run the job again.
 */
export async function runWireJob(ctx: WorkerJobContext, bullId: string, data: WireJob, signal: AbortSignal): Promise<WireOutcome> {
  const worker = ctx.workerId;
  const channel = ctx.keys.events(data.frontId);
  const publish: Publish = (event, payload) => {
    void ctx.redis.publish(channel, encodeEvent(event, payload)).catch(() => undefined);
  };
  // Cancelled while it waited, or its front died (nobody is left to take the results): skip it.
  const [cancelled, frontAlive] = await Promise.all([ctx.redis.exists(ctx.keys.cancelled(bullId)), ctx.redis.exists(ctx.keys.front(data.frontId))]);
  if (cancelled > 0) return { kind: 'cancelled', worker };
  if (frontAlive === 0) return { kind: 'cancelled', worker, frontGone: 'waiting' };
  publish({ job: bullId, kind: 'started', worker });
  // The job stops at its next step on a cancel (`signal`) or once its front is found gone.
  const front = new AbortController();
  const stop = AbortSignal.any([signal, front.signal]);
  const watch = setInterval(() => {
    // A failed look (Redis away) proves nothing; the next one decides.
    void ctx.redis.exists(ctx.keys.front(data.frontId)).then((alive) => {
      if (alive === 0 && !stop.aborted) front.abort();
    }, () => undefined);
  }, FRONT_CHECK_MS);
  try {
    switch (data.kind) {
      case 'import':
        return await runImportWireJob(ctx, bullId, data, stop, publish);
      case 'a1111':
        return await runA1111WireJob(ctx, bullId, data, stop, publish, () => front.signal.aborted);
      default:
        return await runStarted(ctx, bullId, data, stop, publish, () => front.signal.aborted);
    }
  } finally {
    clearInterval(watch);
  }
}

async function runStarted(
  ctx: WorkerJobContext,
  bullId: string,
  data: WireGenerateJob,
  signal: AbortSignal,
  publish: Publish,
  frontGone: () => boolean,
): Promise<WireOutcome> {
  const worker = ctx.workerId;
  // How many steps ran after the cancel reached this worker: the "within one step" promise.
  let stepsAfterCancel = 0;
  const cancelled = (): WireOutcome => (frontGone() ? { kind: 'cancelled', worker, frontGone: 'running' } : { kind: 'cancelled', worker, stepsAfterCancel });
  const results: WireResult[] = [];
  const stores: Array<Promise<void>> = [];
  const events: JobEvents = {
    started: () => undefined,
    progress: (step, total, etaMs, phase) => {
      if (signal.aborted) stepsAfterCancel++;
      publish({ job: bullId, kind: 'progress', step, total, ...(etaMs !== undefined ? { etaMs } : {}), ...(phase !== undefined ? { phase } : {}) });
    },
    // The front drops previews its client cannot take; here they are cheap to send.
    wantsPreview: () => true,
    preview: (index, step, image) => {
      const { format, width, height, channels, bitDepth } = image;
      publish({ job: bullId, kind: 'preview', index, step, format, width, height, channels, bitDepth }, image.payload);
    },
    result: (index, seed, parameters, image) => {
      const key = ctx.keys.blob(bullId, `result-${index}`);
      const { format, width, height, channels, bitDepth } = image;
      // In the order made, as a single bridge sends them; the bytes are stored meanwhile.
      results.push({ index, seed, parameters, format, width, height, channels, bitDepth, key, bytes: image.payload.length });
      // A copy: the encoder may reuse its buffer once this returns, before Redis has the bytes.
      stores.push(ctx.blobs.put(key, Buffer.from(image.payload), 'result').then(() => undefined));
    },
  };
  try {
    const { core } = ctx;
    const model = await core.catalog.resolve(data.model);
    const image = data.image === undefined ? undefined : { width: data.image.width, height: data.image.height, data: await ctx.blobs.get(data.image.key, data.image.bytes, 'image') };
    const mask = data.mask === undefined ? undefined : { width: data.mask.width, height: data.mask.height, data: await ctx.blobs.get(data.mask.key, data.mask.bytes, 'mask') };
    const { loras: asked, ...wireSpec } = data.spec;
    // Found again in this machine's folder, as a single bridge finds them: its files are merged and hashed.
    const loras = asked === undefined ? undefined : (await resolveJobLoras(core.loras, model, { prompt: asked.prompt, negative: asked.negative, loras: asked.requested })).loras;
    const spec: JobSpec = {
      ...wireSpec,
      ...(loras !== undefined ? { loras } : {}),
      // The embeddings a single-process bridge would trigger: this machine's folder.
      ...(core.embeddings !== undefined ? { embeddings: core.embeddings } : {}),
      model,
      request: { ...data.spec.request, ...(image !== undefined ? { image } : {}), ...(mask !== undefined ? { mask } : {}) },
    };
    const outcome = await runJob(spec, events, signal, { cache: core.cache, limits: core.limits }, data.enqueuedAt);
    await Promise.all(stores);
    if (signal.aborted) return cancelled();
    return { kind: 'done', results, timings: outcome.timings, worker };
  } catch (err) {
    await Promise.allSettled(stores);
    if (signal.aborted) return cancelled();
    return errorOutcome(err, worker);
  }
}
