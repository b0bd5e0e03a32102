import { Worker, type Job } from 'bullmq';
import type { ConnectionSettings } from './redis.js';
import type { ClusterKeys, WireJob, WireOutcome } from './wire.js';

export type Processor = (job: Job<WireJob, WireOutcome>, token?: string, signal?: AbortSignal) => Promise<WireOutcome>;

export interface QueueServerOptions {
  connection: ConnectionSettings;
  keys: ClusterKeys;
  workerId: string;
  lockMs: number;
  stalledMs: number;
  processor: Processor;
  onCompleted: (job: Job<WireJob, WireOutcome>, outcome: WireOutcome) => void;
  log: (line: string) => void;
}

/**
 * The BullMQ queues one worker takes jobs from: one per model it has and one per checkpoint file
 * it could import, more as imports add models and files appear. All share one processor, so the
 * worker still runs one job at a time.
 */
export class QueueServer {
  private readonly workers = new Map<string, Worker<WireJob, WireOutcome>>();
  private closed = false;

  constructor(private readonly o: QueueServerOptions) {}

  get names(): string[] {
    return [...this.workers.keys()];
  }

  serve(name: string): void {
    if (this.closed || this.workers.has(name)) return;
    const worker = new Worker<WireJob, WireOutcome>(name, this.o.processor, {
      connection: this.o.connection,
      prefix: this.o.keys.bullPrefix,
      concurrency: 1,
      lockDuration: this.o.lockMs,
      stalledInterval: this.o.stalledMs,
      // Once stalled (its worker died) the job runs again; twice, and it fails rather than loop.
      maxStalledCount: 2,
      name: this.o.workerId,
    });
    worker.on('error', () => undefined);
    worker.on('completed', (job, outcome) => this.o.onCompleted(job, outcome));
    worker.on('stalled', (jobId) => this.o.log(`job ${jobId} stalled (its worker stopped answering); it goes back on the queue`));
    this.workers.set(name, worker);
  }

  cancelJob(jobId: string, reason: string): void {
    for (const w of this.workers.values()) w.cancelJob(jobId, reason);
  }

  cancelAll(reason: string): void {
    for (const w of this.workers.values()) w.cancelAllJobs(reason);
  }

  /** Takes no new jobs; resolves once the running one has ended (at once with `force`). */
  async close(force = false): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers.values()].map((w) => w.close(force)));
  }
}
