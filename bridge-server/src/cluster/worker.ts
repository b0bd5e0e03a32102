import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Worker, WaitingError, type Job } from 'bullmq';
import { resolveLimits, type Limits } from '@latent-bridge/shared';
import { defaultConfigDir } from '../config/config-dir.js';
import type { ModelInfo } from '../models/index.js';
import { ModelStore } from '../models/index.js';
import type { ExecutionProvider } from '../runtime/index.js';
import { ensureDemoModels, type DemoModel } from '../server/demo-models.js';
import { ModelCache } from '../server/model-cache.js';
import { ModelCatalog } from '../server/model-catalog.js';
import { SERVER_VERSION } from '../server/version.js';
import { QueueSet } from './queue-set.js';
import { BlobStore, openRedis, redisOptions } from './redis.js';
import { WorkerRegistry, type WorkerAdvert } from './registry.js';
import { Serial } from './serial.js';
import { startHealthServer, type HealthServer } from './worker-health.js';
import { runWireJob, type WorkerJobContext } from './worker-job.js';
import { ClusterKeys, encodeEvent, type WireJob, type WireOutcome } from './wire.js';

export interface QueueWorkerOptions {
  /** redis://host:port of the shared queue. */
  queue: string;
  prefix?: string;
  configDir?: string;
  modelsDir?: string;
  /** As `serve`: 'auto' offers the demo models when the model folder has none. */
  demo?: boolean | 'auto';
  provider?: ExecutionProvider;
  threads?: number;
  limits?: Partial<Limits>;
  modelBudgetBytes?: number;
  /** BullMQ's job lock: a worker silent this long (killed, cut off) loses its job to another (default 30 s). */
  lockMs?: number;
  /** How often this worker looks for stalled jobs of dead workers (default half the lock). */
  stalledMs?: number;
  /** Graceful stop: how long the running job may take to finish before it is handed back (default 60 s). */
  drainMs?: number;
  /** /health on this host:port; no HTTP at all when the port is absent. */
  healthHost?: string;
  healthPort?: number;
  blobTtlMs?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  id: string;
  models: string[];
  /** http://host:port/health, when asked for. */
  healthUrl: string | undefined;
  /** Graceful: takes no new jobs, finishes (or hands back) the running one, then leaves. */
  close(): Promise<void>;
}

const HEARTBEAT_MS = 1000;
const ADVERT_TTL_MS = 3500;

/**
 * `latent-bridge worker`: runs queued jobs on this machine's models, one at a time, with its own
 * model cache. It serves one BullMQ queue per model it has, so jobs only reach workers that can
 * run them, and advertises itself (models, state) under an expiring key for fronts and /health.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? (() => undefined);
  const id = `worker-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const connection = redisOptions(options.queue);
  const keys = new ClusterKeys(options.prefix);
  const limits = resolveLimits(options.limits);
  const configDir = options.configDir ?? defaultConfigDir();
  const catalog = await workerCatalog(options, configDir);
  const infos: ModelInfo[] = [];
  for (const summary of await catalog.list()) infos.push(await catalog.resolve(summary.name));
  const cache = new ModelCache(options.modelBudgetBytes ?? 8 * 1024 ** 3, {
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  const redis = openRedis(connection, `${id}:commands`);
  const sub = openRedis(connection, `${id}:cancel`);
  const blobTtlMs = options.blobTtlMs ?? 3_600_000;
  const ctx: WorkerJobContext = { workerId: id, redis, keys, blobs: new BlobStore(redis, blobTtlMs, limits.maxFrameBytes), catalog, cache, limits };
  const registry = new WorkerRegistry(redis, keys);
  const queues = new QueueSet(connection, keys);
  const device = new Serial();
  const lockMs = options.lockMs ?? 30_000;
  const startedAt = Date.now();
  let jobsDone = 0;
  let current: string | undefined;
  let stopping = false;
  let handingBack = false;

  const advert = (): WorkerAdvert => ({
    id,
    host: os.hostname(),
    pid: process.pid,
    state: stopping ? 'stopping' : current !== undefined ? 'busy' : 'idle',
    ...(current !== undefined ? { job: current } : {}),
    jobsDone,
    startedAt,
    models: infos,
  });
  const beat = (): Promise<void> => registry.advertise(advert(), ADVERT_TTL_MS).catch(() => undefined);

  // One device: jobs of all this worker's model queues take turns.
  const processor = (job: Job<WireJob, WireOutcome>, token?: string, signal?: AbortSignal): Promise<WireOutcome> =>
    device.run(async () => {
      const bullId = job.id ?? '';
      if (handingBack) return handBack(job, token, log);
      current = bullId;
      void beat();
      const controller = new AbortController();
      const onAbort = (): void => controller.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted === true) controller.abort();
      try {
        const outcome = await runWireJob(ctx, bullId, job.data, controller.signal);
        if (handingBack && outcome.kind === 'cancelled') return await handBack(job, token, log);
        if (outcome.kind === 'cancelled' && outcome.frontGone === 'waiting') {
          log(`job ${bullId} (${job.data.clientJobId}) skipped: its front ${job.data.frontId} is gone`);
        } else if (outcome.kind === 'cancelled' && outcome.frontGone === 'running') {
          log(`job ${bullId} (${job.data.clientJobId}) stopped while running: its front ${job.data.frontId} is gone`);
        } else if (outcome.kind === 'cancelled') {
          log(`job ${bullId} (${job.data.clientJobId}) cancelled; ${outcome.stepsAfterCancel ?? 0} step(s) ran after the cancel arrived`);
        }
        jobsDone++;
        return outcome;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        current = undefined;
        void beat();
      }
    });

  const workers = infos.map((info) => {
    const worker = new Worker<WireJob, WireOutcome>(keys.queueName(info.name), processor, {
      connection,
      prefix: keys.bullPrefix,
      concurrency: 1,
      lockDuration: lockMs,
      stalledInterval: options.stalledMs ?? Math.max(500, Math.floor(lockMs / 2)),
      // Once stalled (its worker died) the job runs again; twice, and it fails rather than loop.
      maxStalledCount: 2,
      name: id,
    });
    worker.on('error', () => undefined);
    // The outcome straight to the front, saving it a lookup; it polls the job for notes Redis lost.
    worker.on('completed', (job, outcome) => {
      void redis.publish(keys.events(job.data.frontId), encodeEvent({ job: job.id ?? '', kind: 'finished', outcome })).catch(() => undefined);
    });
    worker.on('stalled', (jobId) => log(`job ${jobId} stalled (its worker stopped answering); it goes back on the queue`));
    return worker;
  });

  sub.on('message', (_channel: string, jobId: string) => {
    for (const w of workers) w.cancelJob(jobId, 'cancelled by its client');
  });
  await sub.subscribe(keys.cancelChannel);
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  heartbeat.unref();

  let health: HealthServer | undefined;
  if (options.healthPort !== undefined) {
    health = await startHealthServer(options.healthHost ?? '127.0.0.1', options.healthPort, async () => ({
      ok: true,
      role: 'worker',
      id,
      state: advert().state,
      ...(current !== undefined ? { job: current } : {}),
      jobsDone,
      models: infos.map((m) => m.name),
      loadedModels: cache.loadedNames,
      queue: await queues.health(registry),
    }));
  }
  log(`worker ${id} serving ${infos.map((m) => m.name).join(', ') || '(no models)'}`);

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    stopping = true;
    await beat();
    const drained = Promise.all(workers.map((w) => w.close()));
    // Past the drain time the running job stops at its next step and goes back on the queue.
    const timer = setTimeout(() => {
      handingBack = true;
      for (const w of workers) w.cancelAllJobs('worker shutting down');
    }, options.drainMs ?? 60_000);
    // With Redis gone for good a hand-back cannot finish either: then stop without it.
    const forced = new Promise<'forced'>((resolve) => setTimeout(() => resolve('forced'), (options.drainMs ?? 60_000) + 10_000).unref());
    if ((await Promise.race([drained, forced])) === 'forced') await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
    clearTimeout(timer);
    clearInterval(heartbeat);
    await Promise.race([registry.withdraw(id).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    await health?.close();
    await Promise.race([queues.close(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await cache.clear();
    sub.disconnect();
    redis.disconnect();
  };
  return {
    id,
    models: infos.map((m) => m.name),
    healthUrl: health?.url,
    close: () => (closing ??= close()),
  };
}

/** Puts the job back on the queue for another worker (this one is leaving). */
async function handBack(job: Job<WireJob, WireOutcome>, token: string | undefined, log: (line: string) => void): Promise<never> {
  log(`job ${job.id ?? ''} (${job.data.clientJobId}) handed back to the queue: this worker is stopping`);
  await job.moveToWait(token);
  throw new WaitingError();
}

async function workerCatalog(options: QueueWorkerOptions, configDir: string): Promise<ModelCatalog> {
  const store = new ModelStore(options.modelsDir);
  const stored = (await store.list()).filter((m) => m.info !== undefined);
  const demoMode = options.demo ?? 'auto';
  let demo: DemoModel[] = [];
  if (demoMode === true || (demoMode === 'auto' && stored.length === 0)) {
    demo = await ensureDemoModels(path.join(configDir, 'demo-models', SERVER_VERSION));
  }
  return new ModelCatalog(store, demo);
}
