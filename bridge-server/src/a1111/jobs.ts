/**
 * A1111 requests as jobs in the bridge's one fair queue: a request waits its turn behind WebSocket
 * and /v1/jobs work, holds the model while it runs, and reports through A1111's shared.state. A
 * client that goes away cancels its job; /interrupt and /skip only end sampling passes early.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import type { BridgeCore } from '../server/bridge-core.js';
import type { JobLoras } from '../server/job-loras.js';
import type { JobEnd, JobSink, JobSpec } from '../server/job-types.js';
import { pipelineLimits } from '../server/pipeline-entry.js';
import type { OptionsView } from './options.js';
import type { RunContext } from './processing/common.js';
import type { Processed } from './processing/processed.js';
import type { A1111State } from './state.js';

let jobCounter = 0;

export interface A1111Job {
  core: BridgeCore;
  state: A1111State;
  model: ModelInfo;
  /** LoRAs merged into the model for this job (<lora:…> tags). */
  loras?: JobLoras;
  /** The prompts as CLIP gets them (embedding trigger words are looked for in them). */
  prompts?: { prompt: string; negative: string };
  /** A1111's name for the model in infotexts, and its short hash when known. */
  modelName: string;
  modelHash: string | undefined;
  options: OptionsView;
  /** shared.state.job while it runs ("scripts_txt2img", "scripts_img2img", "extras"). */
  jobName: string;
  work: (ctx: RunContext) => Promise<Processed>;
  /** Aborted when the HTTP client goes away. */
  clientGone: AbortSignal;
  /** Told how many jobs are ahead while this one waits. */
  onQueued?: (ahead: number) => void;
}

/** Queues the work and resolves with its result once it has run (rejects with its error). */
export function runA1111Job(job: A1111Job): Promise<Processed> {
  const { core, state } = job;
  const id = `a1111-${++jobCounter}`;
  let result: Processed | undefined;
  let failure: unknown;
  let settled = false;
  return new Promise<Processed>((resolve, reject) => {
    const spec: JobSpec = {
      model: job.model,
      ...(job.loras !== undefined ? { loras: job.loras } : {}),
      ...(core.embeddings !== undefined ? { embeddings: core.embeddings } : {}),
      request: { mode: 'txt2img', prompt: job.prompts?.prompt ?? '', negative: job.prompts?.negative ?? '' },
      sequence: {
        kind: 'custom',
        run: async (seq) => {
          state.begin(job.jobName);
          try {
            result = await job.work({
              model: seq.model,
              modelName: job.modelName,
              modelHash: job.modelHash,
              options: job.options,
              state,
              signal: seq.options.signal ?? new AbortController().signal,
              limits: seq.options.limits ?? pipelineLimits(core.limits),
              ...(seq.spec.infotext !== undefined ? { extraInfo: seq.spec.infotext } : {}),
            });
          } catch (err) {
            failure = err;
            throw err;
          } finally {
            state.end();
          }
          return {};
        },
      },
      previewEvery: undefined,
      previewFormat: 'jpeg',
      resultFormat: 'png',
    };
    const sink: JobSink = {
      started: () => undefined,
      progress: () => undefined,
      wantsPreview: () => false,
      preview: () => undefined,
      result: () => undefined,
      finish: (end: JobEnd) => {
        if (settled) return;
        settled = true;
        core.queue.forget(id);
        if (end.kind === 'done' && result !== undefined) resolve(result);
        else if (failure !== undefined) reject(failure);
        else if (end.kind === 'error') reject(end.error);
        else reject(core.isStopping ? new BridgeError('shutting_down', 'The server is shutting down.') : new BridgeError('cancelled', 'The job was cancelled.'));
      },
    };
    let queued;
    try {
      queued = core.submit(id, id, spec, sink);
    } catch (err) {
      reject(err);
      return;
    }
    const { job: qjob, position } = queued;
    if (position > 0) job.onQueued?.(position);
    // Dropped before it ran (shutdown, the client left): the runner never calls finish.
    qjob.controller.signal.addEventListener('abort', () => {
      if (!core.queue.isRunning(qjob)) sink.finish({ kind: 'cancelled' });
    });
    job.clientGone.addEventListener('abort', () => {
      if (!settled) core.queue.cancel(id, id);
    });
  });
}
