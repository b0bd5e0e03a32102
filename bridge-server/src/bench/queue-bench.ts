import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerateMessageInput } from '@latent-bridge/shared';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { BlobStore, openRedis, redisOptions } from '../cluster/redis.js';
import { startBridgeServer, type RunningBridge } from '../server/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { BenchClient } from './bench-client.js';
import { findRedisServer, startRedis, startWorker } from './queue-procs.js';
import { benchThroughput } from './queue-throughput.js';
import { fmtMs, fmtRatio, median, row, section } from './report.js';

type Job = Omit<GenerateMessageInput, 'type' | 'id'>;
const TINY = { mode: 'txt2img', model: 'tiny', prompt: 'a lighthouse at dusk', negative: 'blurry', steps: 20, guidance: 7.5, scheduler: 'euler', preview: false } as const;

/**
 * The queue mode against the single-process bridge, in one run on one machine: what the hop
 * through Redis adds to a 20-step tiny-random job, throughput of 1, 2 and 3 worker processes on
 * the same jobs (queue-throughput.ts), and a 2048² image through Redis (our blob store, put then get) against the same
 * bytes out and back over a loopback WebSocket.
 */
export async function benchQueue(): Promise<void> {
  const binary = findRedisServer();
  if (binary === undefined) {
    section('queue mode (BullMQ on Redis)');
    row('skipped', 'redis-server is not installed (bash scripts/ensure-redis.sh)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'lb-bench-queue-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    const modelsDir = join(dir, 'models');
    await makeTestModel('tiny-random', join(modelsDir, 'tiny'), {});
    const redis = await startRedis(binary, dir);
    stops.push(redis.stop);
    const single = await startBridgeServer({ port: 0, token: null, configDir: join(dir, 'single'), modelsDir, demo: false, threads: 1 });
    stops.unshift(single.close);
    const front = await startBridgeServer({ port: 0, token: null, configDir: join(dir, 'front'), queue: redis.url });
    stops.unshift(front.close);
    // The hop with one single-threaded worker against a single-threaded bridge; it leaves before the throughput rounds.
    const worker = await startWorker(redis.url, modelsDir, join(dir, 'worker'), 1);
    try {
      await latency(single, front);
    } finally {
      await worker.stop();
    }
    await benchThroughput({ front, queueUrl: redis.url, modelsDir, dir, job: TINY });
    await transfer(redis.url);
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

async function latency(single: RunningBridge, front: RunningBridge): Promise<void> {
  const job: Job = { ...TINY, width: 512, height: 512, seed: 7 };
  const s = await BenchClient.connect(single.wsUrl, null);
  const f = await BenchClient.connect(front.wsUrl, null);
  // Warm-up: each side loads the model once.
  await s.run(job);
  await f.run(job);
  const singleMs: number[] = [];
  const frontMs: number[] = [];
  const singleOutside: number[] = [];
  const frontOutside: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = await s.timed(job);
    const b = await f.timed(job);
    singleMs.push(a.ms);
    singleOutside.push(a.outsideMs);
    frontMs.push(b.ms);
    frontOutside.push(b.outsideMs);
  }
  s.close();
  f.close();
  const base = median(singleMs);
  // The runs themselves vary with machine load; what each path adds around its run does not.
  const hop = median(frontOutside) - median(singleOutside);
  section('queue hop: tiny-random 512×512, 20 steps, one job at a time (median of 5, interleaved)');
  row('single-process bridge, end to end', fmtMs(base));
  row('front → Redis → 1 worker process → front, end to end', fmtMs(median(frontMs)));
  row('outside the run: single-process / through the queue', `${fmtMs(median(singleOutside))} / ${fmtMs(median(frontOutside))}`);
  row('added by the queue hop (target < 5 % of the job)', `${fmtMs(hop)} (${((100 * hop) / base).toFixed(2)} %)`);
}

async function transfer(queueUrl: string): Promise<void> {
  const bytes = Buffer.alloc(2048 * 2048 * 4);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
  const redis = openRedis(redisOptions(queueUrl), 'bench');
  const blobs = new BlobStore(redis, 60_000, 64 * 1024 * 1024);
  const viaRedis: number[] = [];
  for (let i = 0; i < 8; i++) {
    const start = performance.now();
    await blobs.put(`lb:bench:${i}`, bytes, 'image');
    const back = await blobs.get(`lb:bench:${i}`, bytes.length, 'image');
    viaRedis.push(performance.now() - start);
    if (back.length !== bytes.length) throw new Error('blob came back short');
    await blobs.delete([`lb:bench:${i}`]);
  }
  redis.disconnect();

  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 128 * 1024 * 1024 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (data: RawData) => ws.send(data as Buffer)));
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, maxPayload: 128 * 1024 * 1024 });
  await once(ws, 'open');
  const viaWs: number[] = [];
  for (let i = 0; i < 8; i++) {
    const start = performance.now();
    ws.send(bytes);
    await once(ws, 'message');
    viaWs.push(performance.now() - start);
  }
  ws.close();
  wss.close();
  // The first round of each pays for fresh buffers; the medians leave it out.
  const r = median(viaRedis.slice(1));
  const w = median(viaWs.slice(1));
  section('2048×2048 RGBA (16 MiB) out and back on loopback, median of 7');
  row('Redis blob: put by a front, get by a worker', fmtMs(r));
  row('WebSocket binary message, echoed', fmtMs(w));
  row('Redis / WebSocket (target ≤ 2)', fmtRatio(r / w));
}
