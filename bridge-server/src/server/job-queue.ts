import { BridgeError } from '@latent-bridge/shared';

export interface QueuedJob<T> {
  id: string;
  clientId: string;
  payload: T;
  controller: AbortController;
  enqueuedAt: number;
}

export interface JobQueueOptions {
  maxQueuedPerClient: number;
}

type Runner<T> = (job: QueuedJob<T>) => Promise<void>;

/**
 * One job at a time on the model device, taken round-robin across clients so one client's batch
 * of twenty cannot starve another's single job. Cancelling a queued job removes it; cancelling the
 * running job aborts its signal (the pipeline stops between steps).
 */
export class JobQueue<T> {
  private readonly waiting = new Map<string, Array<QueuedJob<T>>>();
  /** Clients in round-robin order; the next job comes from the first client that has one. */
  private order: string[] = [];
  private running: QueuedJob<T> | undefined;
  private idle: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly runner: Runner<T>,
    private readonly options: JobQueueOptions,
  ) {}

  get current(): QueuedJob<T> | undefined {
    return this.running;
  }

  get length(): number {
    let n = 0;
    for (const jobs of this.waiting.values()) n += jobs.length;
    return n;
  }

  /** Adds a job and returns its position (0 = runs now). */
  enqueue(clientId: string, id: string, payload: T): { job: QueuedJob<T>; position: number } {
    if (this.closed) throw new BridgeError('shutting_down', 'The server is shutting down; no new jobs are taken.');
    if (this.find(id, clientId)) throw new BridgeError('invalid_field', `id: a job "${id}" is already queued or running`, 'id');
    const jobs = this.waiting.get(clientId) ?? [];
    if (jobs.length >= this.options.maxQueuedPerClient) {
      throw new BridgeError('queue_full', `At most ${this.options.maxQueuedPerClient} queued jobs per client; wait for one to finish.`, 'id');
    }
    const job: QueuedJob<T> = { id, clientId, payload, controller: new AbortController(), enqueuedAt: Date.now() };
    jobs.push(job);
    this.waiting.set(clientId, jobs);
    if (!this.order.includes(clientId)) this.order.push(clientId);
    const position = this.positionOf(job);
    this.pump();
    return { job, position };
  }

  /** Where a waiting job stands in the round-robin order (1 = next), 0 when running, -1 when unknown. */
  positionOf(job: QueuedJob<T>): number {
    if (this.running === job) return 0;
    const base = this.running ? 1 : 0;
    const schedule = this.schedule();
    const index = schedule.indexOf(job);
    return index < 0 ? -1 : base + index;
  }

  /** Cancels a job owned by clientId; returns false when it does not exist (or is not theirs). */
  cancel(id: string, clientId: string): boolean {
    if (this.running && this.running.id === id && this.running.clientId === clientId) {
      this.running.controller.abort();
      return true;
    }
    const jobs = this.waiting.get(clientId);
    const index = jobs?.findIndex((j) => j.id === id) ?? -1;
    if (!jobs || index < 0) return false;
    const [job] = jobs.splice(index, 1);
    job?.controller.abort();
    return true;
  }

  /** Cancels everything a client has queued or running (it disconnected). Returns the ids. */
  cancelClient(clientId: string): string[] {
    const ids = (this.waiting.get(clientId) ?? []).map((j) => {
      j.controller.abort();
      return j.id;
    });
    this.waiting.delete(clientId);
    this.order = this.order.filter((c) => c !== clientId);
    if (this.running?.clientId === clientId) {
      this.running.controller.abort();
      ids.push(this.running.id);
    }
    return ids;
  }

  /** Stops taking jobs, cancels waiting ones and resolves when the running one has finished. */
  async close(cancelRunning: boolean): Promise<void> {
    this.closed = true;
    for (const client of [...this.waiting.keys()]) {
      for (const j of this.waiting.get(client) ?? []) j.controller.abort();
    }
    this.waiting.clear();
    this.order = [];
    if (cancelRunning) this.running?.controller.abort();
    await this.idle;
  }

  private find(id: string, clientId: string): QueuedJob<T> | undefined {
    if (this.running?.id === id && this.running.clientId === clientId) return this.running;
    return this.waiting.get(clientId)?.find((j) => j.id === id);
  }

  /** The order in which waiting jobs will run: interleave clients, starting from the round-robin head. */
  private schedule(): Array<QueuedJob<T>> {
    const lists = this.order.map((c) => [...(this.waiting.get(c) ?? [])]);
    const out: Array<QueuedJob<T>> = [];
    for (let round = 0; lists.some((l) => l.length > round); round++) {
      for (const l of lists) {
        const j = l[round];
        if (j) out.push(j);
      }
    }
    return out;
  }

  private takeNext(): QueuedJob<T> | undefined {
    for (let i = 0; i < this.order.length; i++) {
      const client = this.order[i] as string;
      const jobs = this.waiting.get(client);
      const job = jobs?.shift();
      if (!job) continue;
      // Rotate: this client goes to the back so the others get their turn first.
      this.order.splice(i, 1);
      if (jobs && jobs.length > 0) this.order.push(client);
      else this.waiting.delete(client);
      return job;
    }
    return undefined;
  }

  private pump(): void {
    if (this.running) return;
    const job = this.takeNext();
    if (!job) return;
    this.running = job;
    this.idle = (async () => {
      try {
        await this.runner(job);
      } catch {
        // The runner reports its own errors to the client; the queue must go on regardless.
      } finally {
        this.running = undefined;
        this.pump();
      }
    })();
  }
}
