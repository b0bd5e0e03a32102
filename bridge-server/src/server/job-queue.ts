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
  /**
   * Jobs running at once; default 1 (one model device). A queue front hands its jobs on to a
   * shared queue at once, so there it is unbounded and fairness is kept in Redis instead.
   */
  concurrency?: number;
}

type Runner<T> = (job: QueuedJob<T>) => Promise<void>;

/**
 * One job at a time on the model device, taken round-robin across clients so one client's batch
 * of twenty cannot starve another's single job: the next job comes from the client served least
 * recently (clients never served first, in order of arrival). Cancelling a queued job removes it; cancelling the
 * running job aborts its signal (the pipeline stops between steps).
 */
export class JobQueue<T> {
  private readonly waiting = new Map<string, Array<QueuedJob<T>>>();
  /** When each client last had a job started (a counter); the longest-unserved client goes next. */
  private readonly served = new Map<string, number>();
  private turn = 0;
  private readonly running = new Set<QueuedJob<T>>();
  private readonly runs = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly runner: Runner<T>,
    private readonly options: JobQueueOptions,
  ) {}

  /** The running job (the first one started, when several run). */
  get current(): QueuedJob<T> | undefined {
    return this.running.values().next().value;
  }

  /** Jobs running now. */
  get runningCount(): number {
    return this.running.size;
  }

  isRunning(job: QueuedJob<T> | undefined): boolean {
    return job !== undefined && this.running.has(job);
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
    const position = this.positionOf(job);
    this.pump();
    return { job, position };
  }

  /** Where a waiting job stands in the round-robin order (1 = next), 0 when running, -1 when unknown. */
  positionOf(job: QueuedJob<T>): number {
    if (this.running.has(job)) return 0;
    const base = this.running.size > 0 ? 1 : 0;
    const schedule = this.schedule();
    const index = schedule.indexOf(job);
    return index < 0 ? -1 : base + index;
  }

  /** Cancels a job owned by clientId; returns false when it does not exist (or is not theirs). */
  cancel(id: string, clientId: string): boolean {
    for (const job of this.running) {
      if (job.id === id && job.clientId === clientId) {
        job.controller.abort();
        return true;
      }
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
    this.served.delete(clientId);
    for (const job of this.running) {
      if (job.clientId !== clientId) continue;
      job.controller.abort();
      ids.push(job.id);
    }
    return ids;
  }

  /** Drops what the queue remembers about a client that is gone (e.g. an HTTP request that ended). */
  forget(clientId: string): void {
    if (!this.waiting.has(clientId) && ![...this.running].some((j) => j.clientId === clientId)) this.served.delete(clientId);
  }

  /** Stops taking jobs, cancels waiting ones and resolves when the running one has finished. */
  async close(cancelRunning: boolean): Promise<void> {
    this.closed = true;
    for (const client of [...this.waiting.keys()]) {
      for (const j of this.waiting.get(client) ?? []) j.controller.abort();
    }
    this.waiting.clear();
    if (cancelRunning) for (const job of this.running) job.controller.abort();
    while (this.runs.size > 0) await Promise.all([...this.runs]);
  }

  private find(id: string, clientId: string): QueuedJob<T> | undefined {
    for (const job of this.running) if (job.id === id && job.clientId === clientId) return job;
    return this.waiting.get(clientId)?.find((j) => j.id === id);
  }

  /** The order in which waiting jobs will run if nothing else arrives. */
  private schedule(): Array<QueuedJob<T>> {
    const lists = new Map([...this.waiting].map(([c, jobs]) => [c, [...jobs]]));
    const served = new Map(this.served);
    let turn = this.turn;
    const out: Array<QueuedJob<T>> = [];
    for (;;) {
      const client = this.pickClient(lists, served);
      if (client === undefined) return out;
      const list = lists.get(client) as Array<QueuedJob<T>>;
      out.push(list.shift() as QueuedJob<T>);
      if (list.length === 0) lists.delete(client);
      served.set(client, ++turn);
    }
  }

  /** The client with waiting jobs that was served least recently; Map order breaks ties (arrival). */
  private pickClient(lists: ReadonlyMap<string, readonly QueuedJob<T>[]>, served: ReadonlyMap<string, number>): string | undefined {
    let best: string | undefined;
    let bestTurn = Number.POSITIVE_INFINITY;
    for (const [client, jobs] of lists) {
      if (jobs.length === 0) continue;
      const t = served.get(client) ?? -1;
      if (t < bestTurn) {
        best = client;
        bestTurn = t;
      }
    }
    return best;
  }

  private takeNext(): QueuedJob<T> | undefined {
    const client = this.pickClient(this.waiting, this.served);
    if (client === undefined) return undefined;
    const jobs = this.waiting.get(client) as Array<QueuedJob<T>>;
    const job = jobs.shift();
    if (jobs.length === 0) this.waiting.delete(client);
    this.served.set(client, ++this.turn);
    return job;
  }

  private pump(): void {
    while (this.running.size < (this.options.concurrency ?? 1)) {
      const job = this.takeNext();
      if (!job) return;
      this.running.add(job);
      const run = (async () => {
        try {
          await this.runner(job);
        } catch {
          // The runner reports its own errors to the client; the queue must go on regardless.
        } finally {
          this.running.delete(job);
          this.pump();
        }
      })();
      this.runs.add(run);
      void run.finally(() => this.runs.delete(run));
    }
  }
}
