import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { WaitingError, type Job } from 'bullmq';
import { resolveLimits, type Limits } from '@latent-bridge/shared';
import { a1111BodyLimit } from '../a1111/limits.js';
import type { A1111State } from '../a1111/state.js';
import { defaultConfigDir } from '../config/config-dir.js';
import type { ModelInfo } from '../models/index.js';
import { localCore, type LocalCoreOptions } from '../server/local-core.js';
import { QueueSet } from './queue-set.js';
import { BlobStore, openRedis, redisOptions } from './redis.js';
import { WorkerRegistry, type WorkerAdvert } from './registry.js';
import { Serial } from './serial.js';
import { WorkerCheckpoints } from './worker-checkpoints.js';
import { startHealthServer, type HealthServer } from './worker-health.js';
import { WorkerLoras } from './worker-loras.js';
import { runWireJob, type WorkerJobContext } from './worker-job.js';
import { QueueServer } from './worker-queues.js';
import { ClusterKeys, encodeEvent, type WireA1111Control, type WireJob, type WireOutcome } from './wire.js';

/**
 * Where the worker finds its models, checkpoints, LoRAs and embeddings, and how it runs them, as
 * `serve` (LocalCoreOptions; unset folders default beside the model folder, as there).
 */
export interface QueueWorkerOptions extends Omit<LocalCoreOptions, 'optimizedCacheDir'> {
  /** redis://host:port of the shared queue. */
  queue: string;
  prefix?: string;
  configDir?: string;
  limits?: Partial<Limits>;
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
 * model cache. It serves one BullMQ queue per model it has and one per checkpoint file it could
 * import, so jobs only reach workers that can run them, and advertises itself (models, checkpoint
 * files, state) under an expiring key for fronts and /health.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? (() => undefined);
  const id = `worker-${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const connection = redisOptions(options.queue);
  const keys = new ClusterKeys(options.prefix);
  const limits = resolveLimits(options.limits);
  const configDir = options.configDir ?? defaultConfigDir();
  const local = await localCore(
    { ...options, ...(options.modelBudgetBytes !== undefined ? { modelBudgetBytes: options.modelBudgetBytes } : {}) },
    limits,
    configDir,
    log,
  );
  const { core } = local;
  const checkpoints = new WorkerCheckpoints(local.checkpointFolder, local.imports);
  await checkpoints.scan(true);
  let infos = await modelInfos(core.catalog);
  const redis = openRedis(connection, `${id}:commands`);
  const sub = openRedis(connection, `${id}:cancel`);
  const loras = new WorkerLoras(local.loraFolder, redis, keys);
  await loras.scan(true);
  const blobTtlMs = options.blobTtlMs ?? 3_600_000;
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
    checkpoints: checkpoints.advertised,
    loras: loras.advertised,
  });
  const beat = (): Promise<void> => registry.advertise(advert(), ADVERT_TTL_MS).catch(() => undefined);
  // Every queue this worker can serve now: its models', and its checkpoint files' (imports).
  const serveAll = (): void => {
    for (const info of infos) server.serve(keys.queueName(info.name));
    for (const c of checkpoints.advertised) server.serve(keys.checkpointQueue(c.name));
    void loras.serveSets(server, infos).catch(() => undefined);
  };
  let refreshing: Promise<void> = Promise.resolve();
  /** After an import: new models get their queues, the advert says so, and fronts hear of it. */
  const refreshModels = (): Promise<void> => {
    refreshing = refreshing.then(async () => {
      core.catalog.invalidate();
      infos = await modelInfos(core.catalog);
      await checkpoints.scan(true);
      serveAll();
      await beat();
      await redis.publish(keys.modelsChannel, id).catch(() => undefined);
    }).catch((err: unknown) => log(`could not refresh the model list: ${String(err)}`));
    return refreshing;
  };
  core.onModelsChanged(() => void refreshModels());
  const a1111States = new Map<string, A1111State>();
  const ctx: WorkerJobContext = {
    workerId: id,
    redis,
    keys,
    blobs: new BlobStore(redis, blobTtlMs, limits.maxFrameBytes),
    a1111Blobs: new BlobStore(redis, blobTtlMs, a1111BodyLimit(limits)),
    core,
    refreshModels,
    a1111States,
  };

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

  const server = new QueueServer({
    connection,
    keys,
    workerId: id,
    lockMs,
    stalledMs: options.stalledMs ?? Math.max(500, Math.floor(lockMs / 2)),
    processor,
    // The outcome straight to the front, saving it a lookup; it polls the job for notes Redis lost.
    onCompleted: (job, outcome) => {
      void redis.publish(keys.events(job.data.frontId), encodeEvent({ job: job.id ?? '', kind: 'finished', outcome })).catch(() => undefined);
    },
    log,
  });
  serveAll();

  sub.on('message', (channel: string, message: string) => {
    if (channel === keys.cancelChannel) return server.cancelJob(message, 'cancelled by its client');
    if (channel === keys.loraSetsChannel) return serveAll();
    const control = parseControl(message);
    const state = control === undefined ? undefined : a1111States.get(control.job);
    if (control?.action === 'interrupt') state?.interrupt();
    else if (control?.action === 'skip') state?.skip();
  });
  await sub.subscribe(keys.cancelChannel, keys.a1111Channel, keys.loraSetsChannel);
  await beat();
  const heartbeat = setInterval(() => {
    // A checkpoint copied into the folder becomes importable here within a scan.
    void checkpoints.scan().then(serveAll, () => undefined);
    // A LoRA copied in or removed: fronts list it (and route by it) within a scan and a beat.
    void loras.scan().then((changed) => (changed ? refreshModels() : undefined), () => undefined);
    void beat();
  }, HEARTBEAT_MS);
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
      loadedModels: core.cache.loadedNames,
      queue: await queues.health(registry),
    }));
  }
  log(`worker ${id} serving ${infos.map((m) => m.name).join(', ') || '(no models)'}`);

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    stopping = true;
    await beat();
    const drained = server.close();
    // Past the drain time the running job stops at its next step and goes back on the queue.
    const timer = setTimeout(() => {
      handingBack = true;
      server.cancelAll('worker shutting down');
    }, options.drainMs ?? 60_000);
    // With Redis gone for good a hand-back cannot finish either: then stop without it.
    const forced = new Promise<'forced'>((resolve) => setTimeout(() => resolve('forced'), (options.drainMs ?? 60_000) + 10_000).unref());
    if ((await Promise.race([drained, forced])) === 'forced') await server.close(true).catch(() => undefined);
    clearTimeout(timer);
    clearInterval(heartbeat);
    await Promise.race([registry.withdraw(id).catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    await health?.close();
    await Promise.race([queues.close(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await core.close();
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

async function modelInfos(catalog: WorkerJobContext['core']['catalog']): Promise<ModelInfo[]> {
  const infos: ModelInfo[] = [];
  for (const summary of await catalog.list()) infos.push(await catalog.resolve(summary.name));
  return infos;
}

function parseControl(message: string): WireA1111Control | undefined {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value !== 'object' || value === null) return undefined;
    const { job, action } = value as Partial<WireA1111Control>;
    return typeof job === 'string' && (action === 'interrupt' || action === 'skip') ? { job, action } : undefined;
  } catch {
    return undefined;
  }
}
