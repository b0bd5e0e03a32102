import { BridgeError } from '@latent-bridge/shared';
import { checkModelName } from '../models/model-store.js';
import type { Publish, WorkerJobContext } from './worker-context.js';
import { errorOutcome } from './worker-context.js';
import type { WireImportJob, WireOutcome } from './wire.js';

/**
 * An import from this worker's checkpoints folder, as a single bridge runs one: progress in
 * thousandths with phase 'import', then the installed name. The worker advertises the new model
 * before it answers, so the front lists it as soon as the client hears `done`.
 */
export async function runImportWireJob(ctx: WorkerJobContext, bullId: string, data: WireImportJob, signal: AbortSignal, publish: Publish): Promise<WireOutcome> {
  const worker = ctx.workerId;
  const began = performance.now();
  const queueMs = Math.max(0, Date.now() - data.enqueuedAt);
  const field = data.firstUse ? 'model' : 'source';
  try {
    const checkpoints = ctx.core.checkpoints;
    if (checkpoints === undefined) throw new BridgeError('model_not_found', `${field}: this worker has no checkpoints folder.`, field);
    // The front found the file in this worker's advert; it may have gone since.
    const file = await checkpoints.folder.find(data.checkpoint, field);
    const name = data.name !== undefined ? checkModelName(data.name, 'name') : undefined;
    const onProgress = (step: number, total: number): void => publish({ job: bullId, kind: 'progress', step, total, phase: 'import' });
    const result = data.firstUse ? await checkpoints.imports.forFirstUse(file, onProgress) : await checkpoints.imports.run(file, name, { signal, onProgress });
    await ctx.refreshModels();
    const importMs = Math.round(performance.now() - began);
    return { kind: 'done', results: [], timings: { queueMs, importMs, totalMs: queueMs + importMs }, model: result.name, worker };
  } catch (err) {
    if (signal.aborted && !data.firstUse) return { kind: 'cancelled', worker };
    return errorOutcome(err, worker);
  }
}
