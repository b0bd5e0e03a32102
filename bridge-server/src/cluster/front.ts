import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { BridgeError, toBridgeError, type Limits } from '@latent-bridge/shared';
import { a1111BodyLimit } from '../a1111/limits.js';
import type { JobDispatcher } from '../server/bridge-core.js';
import type { QueuedJob } from '../server/job-queue.js';
import type { JobSink, JobSpec, QueuedPayload } from '../server/job-types.js';
import { RemoteCheckpoints } from './front-checkpoints.js';
import { importFirstUse, runImportJob } from './front-import.js';
import { FrontJob } from './front-job.js';
import { generateQueue, RemoteLoras, wireLoras } from './front-loras.js';
import { QueueSet, type QueueHealth } from './queue-set.js';
import { BlobStore, openRedis, redisOptions } from './redis.js';
import { RemoteCatalog, WorkerRegistry } from './registry.js';
import { ClusterKeys, decodeEvent, isOutcome, outcomeError, type WireGenerateJob, type WireJob, type WireOutcome, type WirePixels } from './wire.js';

export interface QueueFrontOptions {
  /** redis://host:port of the shared queue. */
  queue: string;
  limits: Limits;
  /** Key prefix in Redis (default "lb"): set-ups sharing a Redis keep apart by it. */
  prefix?: string;
  /** How long request images and results may wait in Redis (default 1 h). */
  blobTtlMs?: number;
  /** How often unfinished jobs are looked up, for `finished` notes lost to a Redis restart (default 1 s). */
  pollMs?: number;
  /** How long after its last beat a front counts as gone, its waiting jobs skipped (default 30 s). */
  frontTtlMs?: number;
}

/** BullMQ's largest priority: a client's 2 097 152nd unfinished job and later share the last place. */
const MAX_PRIORITY = 2 ** 21;
/**
 * How long a front's liveness key outlives its last beat (every poll). Generous: a front starved of
 * CPU for a while must not have its clients' jobs skipped.
 */
const FRONT_TTL_MS = 30_000;
/** After a cancel, how long a front waits for a worker's word before ending the job itself. */
const CANCEL_GRACE_MS = 30_000;

/**
 * A queue front: jobs validated here go on the shared BullMQ queue of their model, and what the
 * worker that runs them reports comes back to the client that asked. Fairness across clients
 * (and fronts) is BullMQ's priority: a client's n-th unfinished job gets priority n, so every
 * client's first job runs before anyone's second, whichever front it came through.
 */
export class QueueFront implements JobDispatcher {
  readonly id = `front-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly catalog: RemoteCatalog;
  /** The checkpoint files its workers hold: listed, imported on a worker that has the file. */
  readonly checkpoints: RemoteCheckpoints;
  /** The LoRA files its workers hold: listed, and what generates are checked against. */
  readonly loras: RemoteLoras;
  readonly keys: ClusterKeys;
  readonly redis: Redis;
  /** A1111 request bodies and answers: bounded by what the A1111 router takes in. */
  readonly a1111Blobs: BlobStore;
  private readonly sub: Redis;
  private readonly blobs: BlobStore;
  private readonly queues: QueueSet;
  private modelsListener: () => void = () => undefined;
  private readonly registry: WorkerRegistry;
  private readonly jobs = new Map<string, FrontJob>();
  private readonly poller: NodeJS.Timeout;
  private readonly blobTtlMs: number;
  private readonly frontTtlMs: number;
  private polling = false;

  private constructor(options: QueueFrontOptions) {
    const connection = redisOptions(options.queue);
    this.keys = new ClusterKeys(options.prefix);
    this.redis = openRedis(connection, `${this.id}:commands`);
    this.sub = openRedis(connection, `${this.id}:events`);
    this.blobTtlMs = options.blobTtlMs ?? 3_600_000;
    this.frontTtlMs = options.frontTtlMs ?? FRONT_TTL_MS;
    // A request image or a result is at most one frame's worth.
    this.blobs = new BlobStore(this.redis, this.blobTtlMs, options.limits.maxFrameBytes);
    this.a1111Blobs = new BlobStore(this.redis, this.blobTtlMs, a1111BodyLimit(options.limits));
    this.queues = new QueueSet(connection, this.keys);
    this.registry = new WorkerRegistry(this.redis, this.keys);
    this.catalog = new RemoteCatalog(this.registry);
    this.loras = new RemoteLoras(this.catalog);
    this.checkpoints = new RemoteCheckpoints(this.catalog, (file, onProgress) => importFirstUse(this, file, onProgress));
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      if (channel.toString('utf8') === this.keys.modelsChannel) this.modelsChanged();
      else this.onMessage(message);
    });
    this.poller = setInterval(() => {
      void this.beat();
      void this.poll();
    }, options.pollMs ?? 1000);
    this.poller.unref();
  }

  static async start(options: QueueFrontOptions): Promise<QueueFront> {
    const front = new QueueFront(options);
    try {
      await front.beat();
      await front.sub.subscribe(front.keys.events(front.id), front.keys.modelsChannel);
    } catch (err) {
      await front.close();
      throw err;
    }
    return front;
  }

  health(): Promise<QueueHealth> {
    return this.queues.health(this.registry);
  }

  /** Told when a worker's models changed (an import): the core pushes new lists to its clients. */
  onModelsChanged(listener: () => void): void {
    this.modelsListener = listener;
  }

  async run(job: QueuedJob<QueuedPayload>): Promise<void> {
    const { sink } = job.payload;
    const signal = job.controller.signal;
    if (signal.aborted) {
      sink.finish({ kind: 'cancelled' });
      return;
    }
    if ('importTask' in job.payload) return runImportJob(this, job, job.payload.importTask, sink, signal);
    const spec = job.payload.spec;
    const blobKeys: string[] = [];
    try {
      const fj = new FrontJob(randomUUID(), await generateQueue(this.catalog, this.keys, this.redis, spec), sink);
      const data = await this.wireJob(fj.bullId, job, spec, blobKeys);
      const outcome = await this.dispatch(fj, data, job.clientId, signal);
      await this.deliver(fj, outcome, sink, signal, blobKeys);
    } catch (err) {
      sink.finish(signal.aborted ? { kind: 'cancelled' } : { kind: 'error', error: toBridgeError(err) });
    } finally {
      await this.blobs.delete(blobKeys).catch(() => undefined);
    }
  }

  /** A generate whose LoRAs no single live worker holds with its model is refused before it is queued. */
  async admit(spec: JobSpec): Promise<void> {
    await generateQueue(this.catalog, this.keys, this.redis, spec);
  }

  /**
   * Puts a job on its queue with the client's fairness priority, relays what its worker reports
   * through `fj`, and waits for its outcome; `signal` cancels it wherever it is. `client`
   * undefined: a job no client waits its turn for (a generate's first-use import), priority 1.
   */
  async dispatch(fj: FrontJob, data: WireJob, client: string | undefined, signal: AbortSignal): Promise<WireOutcome> {
    const clientKey = client === undefined ? undefined : this.keys.client(`${this.id}.${client}`);
    let counted = false;
    const onAbort = (): void => void this.cancel(fj).catch(() => undefined);
    try {
      let unfinished = 1;
      if (clientKey !== undefined) {
        // One round trip: count the job and keep the counter from outliving a crashed front for long.
        const counts = await this.redis.multi().incr(clientKey).pexpire(clientKey, 86_400_000).exec();
        unfinished = Number(counts?.[0]?.[1] ?? 1);
        counted = true;
      }
      this.jobs.set(fj.bullId, fj);
      await this.queues.byName(fj.queue).add(data.kind ?? 'generate', data, {
        jobId: fj.bullId,
        priority: Math.min(unfinished, MAX_PRIORITY),
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 86_400 },
      });
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      return await fj.outcome;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.jobs.delete(fj.bullId);
      if (counted && clientKey !== undefined) await this.redis.decr(clientKey).catch(() => undefined);
    }
  }

  private modelsChanged(): void {
    this.catalog.invalidate();
    try {
      this.modelsListener();
    } catch {
      // A client that cannot take the lists must not stop the pub/sub handler.
    }
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    await Promise.race([this.redis.del(this.keys.front(this.id)).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const fj of this.jobs.values()) fj.resolve({ kind: 'cancelled', worker: '' });
    await this.queues.close();
    this.sub.disconnect();
    this.redis.disconnect();
  }

  /** Says this front is alive; a front killed outright drops out after frontTtlMs. */
  private async beat(): Promise<void> {
    await this.redis.set(this.keys.front(this.id), String(process.pid), 'PX', this.frontTtlMs).catch(() => undefined);
  }

  /** The job's data, its pixels put in blobs first (their keys go to `blobKeys` for removal). */
  private async wireJob(bullId: string, job: QueuedJob<QueuedPayload>, spec: JobSpec, blobKeys: string[]): Promise<WireGenerateJob> {
    const { model, request, sequence, loras, ...rest } = spec;
    if (sequence?.kind === 'custom') throw new BridgeError('invalid_field', 'This kind of job runs only on a single-process bridge, not through a queue front.');
    const { image, mask, ...fields } = request;
    const pixels = async (part: 'image' | 'mask', value: { width: number; height: number; data: Uint8Array }): Promise<WirePixels> => {
      const key = this.keys.blob(bullId, part);
      blobKeys.push(key);
      const bytes = await this.blobs.put(key, value.data, part);
      return { width: value.width, height: value.height, key, bytes };
    };
    return {
      kind: 'generate',
      frontId: this.id,
      clientJobId: job.id,
      model: model.name,
      spec: { ...rest, request: fields, ...(sequence !== undefined ? { sequence } : {}), ...(loras !== undefined ? { loras: wireLoras(loras) } : {}) },
      ...(image !== undefined ? { image: await pixels('image', image) } : {}),
      ...(mask !== undefined ? { mask: await pixels('mask', mask) } : {}),
      enqueuedAt: job.enqueuedAt,
    };
  }

  /** Results from their blobs to the client, in the order the worker made them; then the end. */
  private async deliver(fj: FrontJob, outcome: WireOutcome, sink: JobSink, signal: AbortSignal, blobKeys: string[]): Promise<void> {
    if (outcome.kind === 'done') blobKeys.push(...outcome.results.map((r) => r.key));
    if (signal.aborted || outcome.kind === 'cancelled') return sink.finish({ kind: 'cancelled' });
    if (outcome.kind === 'error') return sink.finish({ kind: 'error', error: outcomeError(outcome) });
    fj.ensureStarted();
    for (const r of outcome.results) {
      const bytes = await this.blobs.get(r.key, r.bytes, 'result');
      const payload = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      sink.result(r.index, r.seed, r.parameters, { format: r.format, width: r.width, height: r.height, channels: r.channels, bitDepth: r.bitDepth, payload });
    }
    sink.finish({ kind: 'done', results: outcome.results.length, timings: outcome.timings, ...(outcome.model !== undefined ? { model: outcome.model } : {}) });
  }

  /**
   * Marks the job cancelled (for a worker that takes it later), tells the workers (the one running
   * it stops at its next step), and takes it off the queue when no worker has it yet.
   */
  private async cancel(fj: FrontJob): Promise<void> {
    if (fj.cancelRequested) return;
    fj.cancelRequested = true;
    setTimeout(() => fj.resolve({ kind: 'cancelled', worker: '' }), CANCEL_GRACE_MS).unref();
    await this.redis.set(this.keys.cancelled(fj.bullId), '1', 'PX', this.blobTtlMs);
    await this.redis.publish(this.keys.cancelChannel, fj.bullId);
    const job = await this.queues.byName(fj.queue).getJob(fj.bullId);
    try {
      await job?.remove();
      fj.resolve({ kind: 'cancelled', worker: '' });
    } catch {
      // Locked by the worker running it: that worker answers with a cancelled outcome.
    }
  }

  private onMessage(message: Buffer): void {
    const decoded = decodeEvent(message);
    const fj = decoded === undefined ? undefined : this.jobs.get(decoded.event.job);
    if (decoded === undefined || fj === undefined) return;
    try {
      fj.onEvent(decoded.event, decoded.payload);
    } catch {
      // A relay the client cannot take (its socket went) must not stop the others.
    }
    if (decoded.event.kind !== 'finished') return;
    if (isOutcome(decoded.event.outcome)) fj.resolve(decoded.event.outcome);
    else void this.check(fj).catch(() => undefined);
  }

  /** Looks the job up and settles it when it has finished (or is gone). */
  private async check(fj: FrontJob): Promise<void> {
    if (fj.isSettled) return;
    const job = await this.queues.byName(fj.queue).getJob(fj.bullId);
    if (job === undefined) {
      if (fj.cancelRequested) fj.resolve({ kind: 'cancelled', worker: '' });
      else fj.resolve({ kind: 'error', code: 'internal', message: 'The job disappeared from the queue (was Redis flushed or restarted without persistence?).', worker: '' });
      return;
    }
    if (job.finishedOn === undefined) return;
    const value: unknown = job.returnvalue;
    if (isOutcome(value)) fj.resolve(value);
    else fj.resolve({ kind: 'error', code: 'internal', message: `The queue gave up on the job: ${job.failedReason ?? 'no outcome'}`, worker: '' });
  }

  /** The slow path: `finished` notes are pub/sub and a Redis restart can swallow one. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const fj of [...this.jobs.values()]) await this.check(fj).catch(() => undefined);
    } finally {
      this.polling = false;
    }
  }
}
