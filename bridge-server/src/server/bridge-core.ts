import {
  BridgeError,
  MAX_SEED,
  toBridgeError,
  type Capabilities,
  type GenerateMessage,
  type ImportModelMessage,
  type Limits,
  type ServerState,
} from '@latent-bridge/shared';
import type { Mask, RgbaImage } from '../image/index.js';
import type { ModelInfo } from '../models/index.js';
import { SCHEDULER_NAMES } from '../pipeline/schedulers/index.js';
import { JobQueue, type QueuedJob } from './job-queue.js';
import { checkCreativeFields, prepareSequence } from './job-sequence.js';
import { runJob } from './job-runner.js';
import type { ImportTask, JobSink, JobSpec, QueuedPayload, ServerGenerateRequest } from './job-types.js';
import type { CheckpointFolder } from './checkpoint-folder.js';
import { runImportTask, type CheckpointImporter } from './import-task.js';
import { resolveJobLoras } from './job-loras.js';
import type { EmbeddingFolder } from './embedding-folder.js';
import type { LoraSource } from './lora-folder.js';
import { checkModelName } from '../models/model-store.js';
import type { ModelCache } from './model-cache.js';
import type { ModelCatalog } from './model-catalog.js';

/** What a core needs of a model catalog (a queue front's lists what its workers advertise). */
export type ModelSource = Pick<ModelCatalog, 'list' | 'resolve' | 'invalidate'>;

/** What a core needs of a checkpoints folder (a queue front's lists the files its workers hold). */
export type CheckpointSource = Pick<CheckpointFolder, 'files' | 'list' | 'find' | 'forModel'>;

/** Runs queued jobs elsewhere (a queue front's workers) instead of on this process's models. */
export interface JobDispatcher {
  /** Reports through the payload's sink, calling finish exactly once. */
  run(job: QueuedJob<QueuedPayload>): Promise<void>;
  /** Refuses, before it is queued, a job no single worker could run (its model and LoRAs are on different ones). */
  admit?(spec: JobSpec): Promise<void>;
}

export interface BridgeCoreOptions {
  limits: Limits;
  catalog: ModelSource;
  cache: ModelCache;
  /** The checkpoints folder clients may import from, with the importer into the store. */
  checkpoints?: { folder: CheckpointSource; imports: CheckpointImporter };
  /** A queue front's: jobs run on workers elsewhere. */
  dispatcher?: JobDispatcher;
  /** The LoRA folder generate.loras and <lora:…> tags name files in (a queue front's: its workers'). */
  loras?: LoraSource;
  /** Textual-inversion embeddings triggered by name in prompts. */
  embeddings?: EmbeddingFolder;
}

/** Told when a generate imports the checkpoint it names before it can be queued. */
export interface PrepareHooks {
  onImportProgress?: (step: number, total: number) => void;
}

/**
 * What the WebSocket and HTTP fronts share: the model catalog and cache, the one job queue, and
 * the rules that turn a validated generate into a job.
 */
export class BridgeCore {
  readonly limits: Limits;
  readonly catalog: ModelSource;
  readonly cache: ModelCache;
  readonly queue: JobQueue<QueuedPayload>;
  readonly startedAt = Date.now();
  readonly checkpoints: BridgeCoreOptions['checkpoints'];
  readonly loras: LoraSource | undefined;
  readonly embeddings: EmbeddingFolder | undefined;
  private readonly modelListeners = new Set<() => void>();
  private readonly dispatcher: JobDispatcher | undefined;
  private stopping = false;
  private loading = false;

  constructor(options: BridgeCoreOptions) {
    this.limits = options.limits;
    this.catalog = options.catalog;
    this.cache = options.cache;
    this.checkpoints = options.checkpoints;
    this.loras = options.loras;
    this.embeddings = options.embeddings;
    this.dispatcher = options.dispatcher;
    // With a dispatcher every job goes on to the shared queue at once; its workers bound the work.
    this.queue = new JobQueue<QueuedPayload>((job) => this.run(job), {
      maxQueuedPerClient: options.limits.maxQueuePerClient,
      concurrency: options.dispatcher !== undefined ? Number.POSITIVE_INFINITY : 1,
    });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** A queue front: its jobs run on workers elsewhere, and start when a worker takes them. */
  get isFront(): boolean {
    return this.dispatcher !== undefined;
  }

  state(): ServerState {
    if (this.stopping) return 'stopping';
    if (this.loading) return 'loading';
    return this.queue.current !== undefined ? 'busy' : 'idle';
  }

  /** Jobs queued or running, all clients. */
  queueLength(): number {
    return this.queue.length + this.queue.runningCount;
  }

  async capabilities(): Promise<Capabilities> {
    return { ...(await this.modelLists()), schedulers: [...SCHEDULER_NAMES], limits: { ...this.limits } };
  }

  /** The lists of `welcome` and `models`: models, and the checkpoints that can be imported. */
  async modelLists(): Promise<Pick<Capabilities, 'models' | 'checkpoints' | 'loras' | 'embeddings'>> {
    const models = await this.catalog.list();
    return {
      models,
      ...(this.checkpoints !== undefined ? { checkpoints: await this.checkpoints.folder.list() } : {}),
      ...(this.loras !== undefined ? { loras: await this.loras.list() } : {}),
      ...(this.embeddings !== undefined ? { embeddings: await this.embeddings.list() } : {}),
    };
  }

  /** `listener` runs whenever the model lists change (an import finished); returns its remover. */
  onModelsChanged(listener: () => void): () => void {
    this.modelListeners.add(listener);
    return () => this.modelListeners.delete(listener);
  }

  /** An import installed a model: listings are stale and every client hears of it. */
  modelsChanged(): void {
    this.catalog.invalidate();
    for (const listener of this.modelListeners) listener();
  }

  /** The import an import-model asks for: the file must be in the checkpoints folder (a front's: a live worker's). */
  async prepareImport(msg: ImportModelMessage): Promise<ImportTask> {
    if (this.checkpoints === undefined) {
      throw new BridgeError('model_not_found', 'source: this bridge has no checkpoints folder (start it with --checkpoints DIR).', 'source');
    }
    const file = await this.checkpoints.folder.find(msg.source, 'source');
    const name = msg.name !== undefined ? checkModelName(msg.name, 'name') : undefined;
    return { file, name };
  }

  /** Queues an import-model job (the same queue and fairness as generates). */
  submitImport(clientId: string, id: string, importTask: ImportTask, sink: JobSink): { job: QueuedJob<QueuedPayload>; position: number } {
    if (this.stopping) throw new BridgeError('shutting_down', 'The server is shutting down; no new jobs are taken.');
    return this.queue.enqueue(clientId, id, { importTask, sink });
  }

  /**
   * The model a generate names: an installed one, or a checkpoint in the checkpoints folder
   * imported now, on first use, with its progress reported through `hooks`.
   */
  private async resolveModel(name: string, hooks: PrepareHooks): Promise<ModelInfo> {
    try {
      return await this.catalog.resolve(name);
    } catch (err) {
      const file = err instanceof BridgeError && err.code === 'model_not_found' ? await this.checkpoints?.folder.forModel(name) : undefined;
      if (file === undefined || this.checkpoints === undefined) throw err;
      const result = await this.checkpoints.imports.forFirstUse(file, hooks.onImportProgress);
      return this.catalog.resolve(result.name);
    }
  }

  /** Scheduler names are checked before a job is queued, so a typo does not wait its turn to fail. */
  checkScheduler(name: string, field = 'scheduler'): void {
    if (!SCHEDULER_NAMES.includes(name)) {
      throw new BridgeError('unknown_scheduler', `${field}: unknown scheduler "${name}"; choose one of ${SCHEDULER_NAMES.join(', ')}.`, field);
    }
  }

  /** Resolves the model and builds the job; model_not_found, invalid_field, unknown_scheduler. */
  async prepare(msg: GenerateMessage, image: RgbaImage | undefined, mask: Mask | undefined, hooks: PrepareHooks = {}): Promise<JobSpec> {
    this.checkScheduler(msg.scheduler);
    const model = await this.resolveModel(msg.model, hooks);
    checkModelMode(model, msg);
    // LoRA tags leave the text CLIP sees; unknown or wrong-family LoRAs fail now, not in the queue.
    const extra = await resolveJobLoras(this.loras, model, msg);
    const request: ServerGenerateRequest = {
      mode: msg.mode,
      prompt: extra.prompt,
      negative: extra.negative,
      steps: msg.steps,
      guidance: msg.guidance,
      scheduler: msg.scheduler,
      batch: msg.batch,
      fill: msg.fill,
      // The decoded source frame belongs to this job alone: the pipeline may composite into it.
      reuseImage: true,
      ...(msg.strength !== undefined ? { strength: msg.strength } : {}),
      ...(msg.grow !== undefined ? { grow: msg.grow } : {}),
      ...(msg.feather !== undefined ? { feather: msg.feather } : {}),
      ...(msg.padding !== undefined ? { padding: msg.padding } : {}),
      ...(msg.seed !== undefined ? { seed: msg.seed } : {}),
      ...(msg.width !== undefined ? { width: msg.width } : {}),
      ...(msg.height !== undefined ? { height: msg.height } : {}),
      ...(msg.expand !== undefined ? { expand: msg.expand } : {}),
      ...(msg.variation !== undefined ? { variation: msg.variation } : {}),
      ...(msg.seedResizeFrom !== undefined ? { seedResizeFrom: msg.seedResizeFrom } : {}),
      ...(msg.mixMode !== undefined ? { mixMode: msg.mixMode } : {}),
      ...(image !== undefined ? { image } : {}),
      ...(mask !== undefined ? { mask } : {}),
    };
    if (request.seed !== undefined && request.seed + msg.batch - 1 > MAX_SEED) {
      throw new BridgeError('invalid_field', `seed: seed + batch - 1 must stay within ${MAX_SEED}`, 'seed');
    }
    if (msg.variation !== undefined && msg.variation.seed + msg.batch - 1 > MAX_SEED) {
      throw new BridgeError('invalid_field', `variation.seed: seed + batch - 1 must stay within ${MAX_SEED}`, 'variation.seed');
    }
    // A prompt typo should fail now, not after the job waited its turn and loaded the model.
    checkCreativeFields(request);
    const sequence = prepareSequence(msg, request, model, this.limits, (name, field) => this.checkScheduler(name, field));
    const preview = msg.preview;
    const previewEvery = preview === false ? undefined : preview === true ? 1 : preview.every;
    const spec: JobSpec = { model, request, ...(extra.loras !== undefined ? { loras: extra.loras } : {}), ...(this.embeddings !== undefined ? { embeddings: this.embeddings } : {}), ...(sequence ? { sequence } : {}), previewEvery, previewFormat: msg.previewFormat, resultFormat: msg.resultFormat };
    await this.dispatcher?.admit?.(spec);
    return spec;
  }

  /** Queues a job; throws queue_full, shutting_down or invalid_field (id in use). */
  submit(clientId: string, id: string, spec: JobSpec, sink: JobSink): { job: QueuedJob<QueuedPayload>; position: number } {
    if (this.stopping) throw new BridgeError('shutting_down', 'The server is shutting down; no new jobs are taken.');
    const queued = this.queue.enqueue(clientId, id, { spec, sink });
    // A front hands the job on at once, but it waits for a worker: never "runs now" (0).
    return this.isFront ? { ...queued, position: Math.max(1, queued.position) } : queued;
  }

  /** Stops taking jobs, drops the waiting ones, aborts the running one and waits for it to stop. */
  async close(): Promise<void> {
    this.stopping = true;
    await this.queue.close(true);
    await this.cache.clear();
  }

  private runImport(task: ImportTask, sink: JobSink, signal: AbortSignal, enqueuedAt: number): ReturnType<typeof runImportTask> {
    if (this.checkpoints === undefined) throw new BridgeError('internal', 'An import job reached a bridge without a checkpoints folder.');
    return runImportTask(this.checkpoints.imports, task, sink, signal, enqueuedAt);
  }

  private async run(job: QueuedJob<QueuedPayload>): Promise<void> {
    if (this.dispatcher !== undefined) return this.dispatcher.run(job);
    const { sink } = job.payload;
    const signal = job.controller.signal;
    // The queue calls us synchronously from enqueue; yielding first lets the caller send `queued`
    // before `started`, and serves pending socket reads before the model takes the thread.
    await new Promise((resolve) => setImmediate(resolve));
    if (signal.aborted) {
      sink.finish({ kind: 'cancelled' });
      return;
    }
    try {
      sink.started();
      if ('importTask' in job.payload) {
        const outcome = await this.runImport(job.payload.importTask, sink, signal, job.enqueuedAt);
        sink.finish(signal.aborted ? { kind: 'cancelled' } : { kind: 'done', ...outcome });
        return;
      }
      const outcome = await runJob(job.payload.spec, sink, signal, {
        cache: this.cache,
        limits: this.limits,
        onLoading: (loading) => {
          this.loading = loading;
        },
      }, job.enqueuedAt);
      sink.finish(signal.aborted ? { kind: 'cancelled' } : { kind: 'done', ...outcome });
    } catch (err) {
      sink.finish(signal.aborted ? { kind: 'cancelled' } : { kind: 'error', error: toBridgeError(err) });
    }
  }
}

/** What the chosen model can do for the requested mode, checked before the job waits in the queue. */
function checkModelMode(model: ModelInfo, msg: GenerateMessage): void {
  if (msg.mode !== 'txt2img' && !model.hasVaeEncoder) {
    throw new BridgeError('invalid_field', `model: "${model.name}" has no VAE encoder, so it cannot do ${msg.mode}`, 'model');
  }
  if (model.staticSize !== undefined && msg.mode === 'txt2img' && msg.width !== undefined && msg.height !== undefined) {
    const { width, height } = model.staticSize;
    if (msg.width !== width || msg.height !== height) {
      throw new BridgeError('invalid_field', `width: "${model.name}" only runs at ${width}×${height}`, 'width');
    }
  }
}
