import { randomUUID } from 'node:crypto';
import { BridgeError, toBridgeError } from '@latent-bridge/shared';
import type { QueuedJob } from '../server/job-queue.js';
import type { ImportTask, JobSink, QueuedPayload } from '../server/job-types.js';
import type { QueueFront } from './front.js';
import { FrontJob } from './front-job.js';
import { outcomeError, type WireImportJob } from './wire.js';

/** An import-model: on the queue of its checkpoint, which only workers holding the file serve. */
export async function runImportJob(front: QueueFront, job: QueuedJob<QueuedPayload>, task: ImportTask, sink: JobSink, signal: AbortSignal): Promise<void> {
  const fj = new FrontJob(randomUUID(), front.keys.checkpointQueue(task.file.name), sink);
  const data: WireImportJob = {
    kind: 'import',
    frontId: front.id,
    clientJobId: job.id,
    checkpoint: task.file.name,
    ...(task.name !== undefined ? { name: task.name } : {}),
    firstUse: false,
    enqueuedAt: job.enqueuedAt,
  };
  try {
    const outcome = await front.dispatch(fj, data, job.clientId, signal);
    if (signal.aborted || outcome.kind === 'cancelled') return sink.finish({ kind: 'cancelled' });
    if (outcome.kind === 'error') return sink.finish({ kind: 'error', error: outcomeError(outcome) });
    fj.ensureStarted();
    // Its worker advertised the new model before it answered: list-models after `done` has it.
    front.catalog.invalidate();
    sink.finish({ kind: 'done', results: 0, timings: outcome.timings, ...(outcome.model !== undefined ? { model: outcome.model } : {}) });
  } catch (err) {
    sink.finish(signal.aborted ? { kind: 'cancelled' } : { kind: 'error', error: toBridgeError(err) });
  }
}

/** A generate's checkpoint imported before the generate is queued, on a worker that holds it. */
export async function importFirstUse(front: QueueFront, file: string, onProgress: ((step: number, total: number) => void) | undefined): Promise<{ name: string }> {
  const sink: JobSink = {
    started: () => undefined,
    progress: (step, total) => onProgress?.(step, total),
    wantsPreview: () => false,
    preview: () => undefined,
    result: () => undefined,
    finish: () => undefined,
  };
  const fj = new FrontJob(randomUUID(), front.keys.checkpointQueue(file), sink);
  const data: WireImportJob = { kind: 'import', frontId: front.id, clientJobId: `first-use:${file}`, checkpoint: file, firstUse: true, enqueuedAt: Date.now() };
  // As on a single bridge, the import is not cancelled with the job that started it.
  const outcome = await front.dispatch(fj, data, undefined, new AbortController().signal);
  if (outcome.kind === 'error') throw outcomeError(outcome);
  if (outcome.kind === 'cancelled' || outcome.model === undefined) throw new BridgeError('import_failed', `model: the import of "${file}" on its worker ended without a model.`, 'model');
  front.catalog.invalidate();
  return { name: outcome.model };
}
