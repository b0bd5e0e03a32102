import { Queue } from 'bullmq';
import type { ConnectionSettings } from './redis.js';
import type { WorkerRegistry } from './registry.js';
import type { ClusterKeys, WireJob, WireOutcome } from './wire.js';

export type ModelQueue = Queue<WireJob, WireOutcome, string, WireJob, WireOutcome, string>;

const COUNTED = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;
type Counted = (typeof COUNTED)[number];

/** What /health says about the shared queue, on fronts and workers alike. */
export interface QueueHealth {
  /** Jobs not yet taken by a worker, all models. */
  depth: number;
  workersAlive: number;
  jobs: Record<Counted, number>;
  models: Record<string, { depth: number; active: number; workers: number }>;
  workers: Array<{ id: string; host: string; pid: number; state: string; job?: string; jobsDone: number; models: string[] }>;
}

/** The per-model BullMQ queues one process talks to, opened on first use. */
export class QueueSet {
  private readonly queues = new Map<string, ModelQueue>();

  constructor(
    private readonly connection: ConnectionSettings,
    private readonly keys: ClusterKeys,
  ) {}

  /** A model's queue. */
  get(model: string): ModelQueue {
    return this.byName(this.keys.queueName(model));
  }

  /** Any queue by its BullMQ name (a model's, a checkpoint's). */
  byName(name: string): ModelQueue {
    const known = this.queues.get(name);
    if (known !== undefined) return known;
    const queue = new Queue<WireJob, WireOutcome, string, WireJob, WireOutcome, string>(name, { connection: this.connection, prefix: this.keys.bullPrefix });
    // Errors while Redis is away are reconnect noise; the commands themselves wait.
    queue.on('error', () => undefined);
    this.queues.set(name, queue);
    return queue;
  }

  async health(registry: WorkerRegistry): Promise<QueueHealth> {
    const workers = await registry.list();
    const prefix = this.keys.queueName('');
    const names = new Set<string>([...this.queues.keys()].filter((q) => q.startsWith(prefix)).map((q) => q.slice(prefix.length)));
    for (const w of workers) for (const m of w.models) names.add(m.name);
    const jobs = Object.fromEntries(COUNTED.map((s) => [s, 0])) as Record<Counted, number>;
    const models: QueueHealth['models'] = {};
    for (const name of [...names].sort()) {
      const counts = await this.get(name).getJobCounts(...COUNTED);
      for (const s of COUNTED) jobs[s] += counts[s] ?? 0;
      models[name] = {
        depth: waitingOf(counts),
        active: counts['active'] ?? 0,
        workers: workers.filter((w) => w.models.some((m) => m.name === name)).length,
      };
    }
    return {
      depth: waitingOf(jobs),
      workersAlive: workers.length,
      jobs,
      models,
      workers: workers.map((w) => ({
        id: w.id,
        host: w.host,
        pid: w.pid,
        state: w.state,
        ...(w.job !== undefined ? { job: w.job } : {}),
        jobsDone: w.jobsDone,
        models: w.models.map((m) => m.name),
      })),
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}

function waitingOf(counts: Partial<Record<string, number>>): number {
  return (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['delayed'] ?? 0);
}
