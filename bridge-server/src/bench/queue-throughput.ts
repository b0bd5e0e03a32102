import os from 'node:os';
import { join } from 'node:path';
import type { GenerateMessageInput } from '@latent-bridge/shared';
import { startBridgeServer, type RunningBridge } from '../server/index.js';
import { BenchClient } from './bench-client.js';
import { startWorker } from './queue-procs.js';
import { fmtMs, fmtRatio, median, row, section } from './report.js';

type Job = Omit<GenerateMessageInput, 'type' | 'id'>;

export interface ThroughputSetup {
  /** The shared queue's front (no workers of its own). */
  front: RunningBridge;
  queueUrl: string;
  modelsDir: string;
  dir: string;
  /** The tiny job, less size and seed. */
  job: Job;
}

const CLIENTS = 3;
/** Divisible by 1, 2 and 3 workers, so no count finishes with a lone straggler. */
const JOBS = 12;
const ROUNDS = 3;

/**
 * Throughput of 1, 2 and 3 worker processes against the single-process bridge on the same jobs.
 * Each worker gets a fixed onnxruntime thread count, cores / workers where that is at least one,
 * and its baseline is a single-process bridge given the same total threads (at most the cores):
 * the ratio then says what the queue and the extra processes cost or gain, not how many cores
 * each side grabbed.
 * With fewer cores than workers the processes share cores and no scaling can show; the rows say so.
 */
export async function benchThroughput(setup: ThroughputSetup): Promise<void> {
  const cores = os.availableParallelism();
  const jobs: Job[] = Array.from({ length: JOBS }, (_, i) => ({ ...setup.job, width: 256, height: 256, seed: 100 + i }) as Job);
  const round = async (bridge: RunningBridge): Promise<number> => {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => BenchClient.connect(bridge.wsUrl, null)));
    const start = performance.now();
    await Promise.all(jobs.map((job, i) => (clients[i % CLIENTS] as BenchClient).run(job)));
    const ms = performance.now() - start;
    for (const c of clients) c.close();
    return ms;
  };
  // Warm-up (every process loads the model), then the median of three rounds: a shared machine's
  // other load comes and goes, and one round can catch a burst of it.
  const measure = async (bridge: RunningBridge): Promise<number> => {
    await round(bridge);
    const ms: number[] = [];
    for (let i = 0; i < ROUNDS; i++) ms.push(await round(bridge));
    return median(ms);
  };
  const perSecond = (ms: number): string => `${((1000 * JOBS) / ms).toFixed(2)} jobs/s`;

  section(`throughput: ${JOBS} jobs (tiny-random 256×256, 20 steps) from ${CLIENTS} clients at once, median of ${ROUNDS} rounds`);
  // Other processes on the machine take cores from every row alike; the load says how many.
  row('CPU cores / 1-minute load average before the rounds', `${cores} / ${os.loadavg()[0]?.toFixed(2) ?? '?'}`);
  row('threads per worker', `cores / workers, at least 1; the single-process baseline gets their total, at most the cores`);
  const singles = new Map<number, number>();
  const single = async (threads: number): Promise<number> => {
    const known = singles.get(threads);
    if (known !== undefined) return known;
    const bridge = await startBridgeServer({ port: 0, token: null, configDir: join(setup.dir, `single-${threads}`), modelsDir: setup.modelsDir, demo: false, threads });
    try {
      const ms = await measure(bridge);
      singles.set(threads, ms);
      row(`single-process bridge, ${threads} thread${threads === 1 ? '' : 's'}`, `${fmtMs(ms)}, ${perSecond(ms)}`);
      return ms;
    } finally {
      await bridge.close();
    }
  };
  let oneWorkerMs: number | undefined;
  for (let workers = 1; workers <= 3; workers++) {
    const threads = Math.max(1, Math.floor(cores / workers));
    const total = workers * threads;
    // More onnxruntime threads than cores makes one process's threads wait on each other (16.9 s
    // instead of 4.3 s for 3 threads on 2 cores, measured): the baseline never gets more than the cores.
    const baseThreads = Math.min(total, cores);
    const baseMs = await single(baseThreads);
    const stops = [];
    try {
      for (let i = 0; i < workers; i++) stops.push((await startWorker(setup.queueUrl, setup.modelsDir, join(setup.dir, `worker-${workers}-${i}`), threads)).stop);
      const ms = await measure(setup.front);
      oneWorkerMs ??= ms;
      const label = `front + ${workers} worker${workers > 1 ? 's' : ''} × ${threads} thread${threads === 1 ? '' : 's'} (${total} in all)`;
      const scaling = workers > 1 ? `, ${fmtRatio(oneWorkerMs / ms)} 1 worker` : '';
      row(label, `${fmtMs(ms)}, ${perSecond(ms)}, ${fmtRatio(baseMs / ms)} single at ${baseThreads} threads${scaling}`);
      if (workers > cores) {
        row('', `note: ${workers} workers on ${cores} cores share them: no more compute than ${cores} workers, so any gain over that row is`);
        row('', `overlap of each job's single-threaded parts (JS, Redis, encoding), not scaling; it needs ${workers} free cores to show`);
      }
    } finally {
      for (const stop of stops) await stop();
    }
  }
}
