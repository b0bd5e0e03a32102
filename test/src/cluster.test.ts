import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BridgeClient, type JobTrace } from './bridge-client.js';
import { FrontProcess, redisServerPath, TestRedis, WorkerProcess } from './cluster-harness.js';
import { assertSameResults, longJob, mixedJobs, runOn, send, waitFor, type ClusterJob } from './cluster-jobs.js';
import { startTestBridge, type TestBridge } from './test-server.js';

// One front on a real redis-server, real `latent-bridge worker` processes on the demo (oracle)
// models, and a single-process bridge beside them as the reference for every result's bytes.

// Without redis-server these tests skip, unless LATENT_BRIDGE_REQUIRE_REDIS=1 (CI) makes that a failure.
const skip = redisServerPath() === undefined && process.env['LATENT_BRIDGE_REQUIRE_REDIS'] !== '1' ? 'redis-server is not installed (scripts/ensure-redis.sh)' : false;

let dir: string;
let redis: TestRedis;
let front: TestBridge;
let single: TestBridge;
let reference: BridgeClient;
const workers: WorkerProcess[] = [];
const clients: BridgeClient[] = [];

before(async () => {
  if (skip !== false) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-cluster-'));
  redis = await TestRedis.start();
  // The first worker writes the demo models; the next ones find them.
  workers.push(await WorkerProcess.start(redis.url, path.join(dir, 'config')));
  workers.push(await WorkerProcess.start(redis.url, path.join(dir, 'config')));
  front = await startTestBridge({ queue: redis.url });
  single = await startTestBridge();
  reference = await BridgeClient.connect(single.wsUrl, single.token);
  for (let i = 0; i < 3; i++) clients.push(await BridgeClient.connect(front.wsUrl, front.token, `cluster-client-${i}`));
});

after(async () => {
  if (skip !== false) return;
  for (const c of [...clients, reference]) c.close();
  await front.stop();
  await single.stop();
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function expected(job: ClusterJob): Promise<JobTrace> {
  return runOn(reference, job);
}

async function health(): Promise<{ queue: { depth: number; workersAlive: number; jobs: Record<string, number> }; role: string }> {
  const res = await fetch(`${front.url}/health`);
  assert.equal(res.status, 200);
  return (await res.json()) as { queue: { depth: number; workersAlive: number; jobs: Record<string, number> }; role: string };
}

/** The worker running a job now, by its /health. */
async function busyWorker(): Promise<WorkerProcess> {
  return waitFor('a busy worker', async () => {
    for (const w of workers) {
      if (w.child.exitCode !== null || w.child.signalCode !== null) continue;
      const h = await w.health().catch(() => undefined);
      if (h?.['state'] === 'busy') return w;
    }
    return undefined;
  });
}

test('jobs from several clients through one front and two workers come out byte-identical to the single-process bridge', { skip }, async () => {
  const perClient = clients.map((_, i) => mixedJobs(3, i * 10));
  const traces = await Promise.all(clients.map((c, i) => Promise.all((perClient[i] ?? []).map((job) => runOn(c, job)))));
  for (let i = 0; i < perClient.length; i++) {
    const jobs = perClient[i] ?? [];
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j] as ClusterJob;
      const trace = traces[i]?.[j] as JobTrace;
      assertSameResults(trace, await expected(job), `client ${i} job ${j} (${job.fields.mode})`);
      const types = trace.messages.map((m) => m.type);
      assert.equal(types.filter((t) => t === 'started').length, 1);
      assert.ok(types.indexOf('queued') < types.indexOf('started') && types.indexOf('started') < types.indexOf('done'), types.join(','));
    }
  }
  const h = await health();
  assert.equal(h.role, 'front');
  assert.equal(h.queue.workersAlive, 2);
  assert.equal(h.queue.depth, 0);
  assert.ok((h.queue.jobs['completed'] ?? 0) >= 9, JSON.stringify(h.queue.jobs));
  const done = await Promise.all(workers.map(async (w) => (await w.health())['jobsDone'] as number));
  assert.equal(done.reduce((a, b) => a + b, 0), 9, `jobs per worker: ${done.join(', ')}`);
});

test('the front lists the union of its workers\' models and runs HTTP jobs byte-identically', { skip }, async () => {
  const res = await fetch(`${front.url}/v1/models`, { headers: { authorization: `Bearer ${front.token ?? ''}` } });
  const { models } = (await res.json()) as { models: Array<{ name: string }> };
  assert.deepEqual(models.map((m) => m.name).sort(), ['demo', 'demo-inpaint']);
  // POST /v1/jobs through the front: the same PNG bytes as the single-process bridge's.
  const body = JSON.stringify({ mode: 'txt2img', model: 'demo', prompt: 'green', steps: 5, guidance: 2, scheduler: 'euler', seed: 11, width: 64, height: 64 });
  const post = async (bridge: TestBridge): Promise<Buffer> => {
    const r = await fetch(`${bridge.url}/v1/jobs`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${bridge.token ?? ''}` } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/png');
    return Buffer.from(await r.arrayBuffer());
  };
  assert.ok((await post(front)).equals(await post(single)), 'HTTP PNG through the queue differs');
  const unknown = await runOn(clients[0] as BridgeClient, { fields: { mode: 'txt2img', model: 'nope', prompt: 'red', steps: 2, guidance: 1, scheduler: 'euler' } });
  assert.equal(unknown.end.type, 'error');
  assert.equal((unknown.end as { code?: string }).code, 'model_not_found');
});

// import-model and A1111 generation through a front: cluster-front.test.ts.
test('A1111\'s informational routes answer on a front with its workers\' models', { skip }, async () => {
  const models = await fetch(`${front.url}/sdapi/v1/sd-models`, { headers: { authorization: `Bearer ${front.token ?? ''}` } });
  assert.equal(models.status, 200);
  const names = ((await models.json()) as Array<{ model_name: string }>).map((m) => m.model_name).sort();
  assert.deepEqual(names, ['demo', 'demo-inpaint']);
});

test('previews and progress come back through the queue while the job runs', { skip }, async () => {
  const client = clients[2] as BridgeClient;
  const job: ClusterJob = { fields: { mode: 'txt2img', model: 'demo', prompt: 'red', steps: 8, guidance: 2, scheduler: 'euler', seed: 5, width: 64, height: 64, preview: true, previewFormat: 'raw-rgba' } };
  const trace = await runOn(client, job);
  assertSameResults(trace, await expected(job), 'job with previews');
  const steps = trace.messages.flatMap((m) => (m.type === 'progress' ? [m.step] : []));
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(trace.previews.length >= 1, 'no preview frame came back');
  // Handed to the shared queue, but not yet running: a front never says "runs now" (0) in `queued`.
  const queued = trace.messages.find((m) => m.type === 'queued');
  assert.ok(queued !== undefined && queued.type === 'queued' && queued.position >= 1, JSON.stringify(queued));
  for (const p of trace.previews) assert.equal(p.payload.length, p.header.width * p.header.height * 4);
});

test('a third worker joins and takes its share; results stay identical', { skip }, async () => {
  workers.push(await WorkerProcess.start(redis.url, path.join(dir, 'config')));
  await waitFor('three workers', async () => ((await health()).queue.workersAlive === 3 ? true : undefined));
  const jobs = mixedJobs(6, 50);
  const traces = await Promise.all(jobs.map((job, i) => runOn(clients[i % clients.length] as BridgeClient, job)));
  for (let i = 0; i < jobs.length; i++) assertSameResults(traces[i] as JobTrace, await expected(jobs[i] as ClusterJob), `job ${i}`);
});

test('a worker killed with SIGKILL mid-job: the job completes on another worker, once', { skip }, async () => {
  const client = clients[0] as BridgeClient;
  const job = longJob(4242);
  const from = client.mark();
  send(client, 'killed', job);
  await client.nextMessage((m) => m.type === 'progress' && m.id === 'killed', 60_000, from);
  const victim = await busyWorker();
  await victim.stop('SIGKILL');
  const afterKill = client.mark();
  const trace = await client.job('killed', 120_000, from);
  await client.nextMessage((m) => m.type === 'done' && m.id === 'killed', 1000, afterKill);
  assertSameResults(trace, await expected(job), 'job of the killed worker');
  const types = trace.messages.map((m) => m.type);
  assert.equal(types.filter((t) => t === 'done').length, 1);
  assert.equal(types.filter((t) => t === 'started').length, 1);
  assert.equal(trace.results.length, 4);
  const survivors = workers.filter((w) => w !== victim);
  assert.ok(survivors.some((w) => /stalled/.test(w.log)), 'a surviving worker saw the stalled job');
  workers.splice(workers.indexOf(victim), 1);
  await waitFor('the dead worker to drop out', async () => ((await health()).queue.workersAlive === 2 ? true : undefined));
  assert.equal((await health()).queue.jobs['failed'], 0);
});

test('Redis restarted mid-run: fronts and workers reconnect and every job completes', { skip }, async () => {
  const jobs = [longJob(7001), longJob(7002, 512, 2), ...mixedJobs(3, 70)];
  const from = clients.map((c) => c.mark());
  jobs.forEach((job, i) => send(clients[i % clients.length] as BridgeClient, `restart-${i}`, job));
  await (clients[0] as BridgeClient).nextMessage((m) => m.type === 'progress' && m.id === 'restart-0', 60_000, from[0]);
  await redis.restart();
  const afterRestart = (clients[0] as BridgeClient).mark();
  // The long first job was still running when Redis went away: its end comes after the restart.
  await (clients[0] as BridgeClient).nextMessage((m) => m.type === 'done' && m.id === 'restart-0', 180_000, afterRestart);
  const traces = await Promise.all(jobs.map((_, i) => (clients[i % clients.length] as BridgeClient).job(`restart-${i}`, 180_000, from[i % clients.length])));
  for (let i = 0; i < jobs.length; i++) assertSameResults(traces[i] as JobTrace, await expected(jobs[i] as ClusterJob), `job ${i} across the restart`);
  const h = await waitFor('health after the restart', async () => ((await health()).queue.workersAlive === 2 ? health() : undefined));
  assert.equal(h.queue.depth, 0);
});

test('cancel from the client stops the job on its worker within one step', { skip }, async () => {
  const client = clients[1] as BridgeClient;
  const from = client.mark();
  send(client, 'cancel-me', longJob(99));
  await client.nextMessage((m) => m.type === 'progress' && m.id === 'cancel-me' && m.step >= 8, 60_000, from);
  const statusFrom = client.mark();
  client.send({ type: 'status' });
  const status = await client.nextMessage((m) => m.type === 'status', 10_000, statusFrom);
  assert.ok(status.type === 'status' && status.jobs.some((j) => j.id === 'cancel-me' && j.state === 'running' && j.position === 0), JSON.stringify(status));
  client.send({ type: 'cancel', id: 'cancel-me' });
  const trace = await client.job('cancel-me', 30_000, from);
  assert.equal(trace.end.type, 'cancelled');
  assert.equal(trace.results.length, 0);
  const line = await waitFor('the worker\'s cancel line', () => workers.map((w) => /\(cancel-me\) cancelled; (\d+) step/.exec(w.log)).find((m) => m !== null) ?? undefined);
  assert.ok(Number(line[1]) <= 1, `steps after the cancel arrived: ${line[1]}`);
  // The worker is free again for the next job.
  const next = mixedJobs(1, 90)[0] as ClusterJob;
  assertSameResults(await runOn(client, next), await expected(next), 'job after the cancel');
});

test('a client that disconnects has its jobs cancelled on the workers', { skip }, async () => {
  const leaving = await BridgeClient.connect(front.wsUrl, front.token, 'leaving');
  const from = leaving.mark();
  send(leaving, 'orphan', longJob(5));
  await leaving.nextMessage((m) => m.type === 'progress' && m.id === 'orphan', 60_000, from);
  leaving.terminate();
  await waitFor('the orphan cancelled on its worker', () => (workers.some((w) => /\(orphan\) cancelled/.test(w.log)) ? true : undefined));
  await waitFor('no job active', async () => ((await health()).queue.jobs['active'] === 0 ? true : undefined));
});

test('a worker stopped with SIGTERM finishes its running job first, then leaves', { skip }, async () => {
  const client = clients[2] as BridgeClient;
  const job = longJob(31, 512, 4);
  const from = client.mark();
  send(client, 'graceful', job);
  await client.nextMessage((m) => m.type === 'progress' && m.id === 'graceful', 60_000, from);
  const worker = await busyWorker();
  const code = worker.stop('SIGTERM');
  const trace = await client.job('graceful', 120_000, from);
  assertSameResults(trace, await expected(job), 'job of the stopping worker');
  assert.equal(await code, 0);
  workers.splice(workers.indexOf(worker), 1);
  await waitFor('one worker left', async () => ((await health()).queue.workersAlive === 1 ? true : undefined));
});

test('fairness holds across fronts: a client\'s first job goes before another client\'s second', { skip }, async () => {
  const second = await startTestBridge({ queue: redis.url });
  try {
    const busy = clients[0] as BridgeClient;
    const other = await BridgeClient.connect(second.wsUrl, second.token, 'other-front');
    const from = busy.mark();
    const otherFrom = other.mark();
    // One worker is left: the busy client's first job runs, its next three wait with priorities 2..4.
    for (let i = 0; i < 4; i++) send(busy, `busy-${i}`, longJob(300 + i, 512, 2));
    await busy.nextMessage((m) => m.type === 'started' && m.id === 'busy-0', 60_000, from);
    send(other, 'polite', mixedJobs(1, 400)[0] as ClusterJob);
    const order: string[] = [];
    await Promise.all([
      ...[0, 1, 2, 3].map(async (i) => {
        await busy.job(`busy-${i}`, 180_000, from);
        order.push(`busy-${i}`);
      }),
      (async () => {
        assert.equal((await other.job('polite', 180_000, otherFrom)).end.type, 'done');
        order.push('polite');
      })(),
    ]);
    assert.deepEqual(order.slice(0, 2), ['busy-0', 'polite'], order.join(' '));
    other.close();
  } finally {
    await second.stop();
  }
});

test('a worker stopping past its drain time hands its job back; another worker completes it', { skip }, async () => {
  for (const w of workers.splice(0)) assert.equal(await w.stop('SIGTERM'), 0);
  for (let i = 0; i < 2; i++) workers.push(await WorkerProcess.start(redis.url, path.join(dir, 'config'), ['--drain-ms', '0']));
  const client = clients[1] as BridgeClient;
  const job = longJob(77);
  const from = client.mark();
  send(client, 'handed', job);
  await client.nextMessage((m) => m.type === 'progress' && m.id === 'handed', 60_000, from);
  const leaving = await busyWorker();
  assert.equal(await leaving.stop('SIGTERM'), 0);
  assert.match(leaving.log, /\(handed\) handed back to the queue/);
  const trace = await client.job('handed', 120_000, from);
  assertSameResults(trace, await expected(job), 'handed-back job');
  assert.equal(trace.messages.filter((m) => m.type === 'started').length, 1);
  workers.splice(workers.indexOf(leaving), 1);
});

// A front killed outright says nothing; its liveness key lapses frontTtlMs after its last beat. A
// job a worker takes inside that window must not run to the end for nobody either: the front is
// killed when the busy jobs are nearly done, so the next ones start while the key still stands.
test('jobs of a killed front are not run for nobody: waiting ones are skipped, ones started before its key lapsed are stopped', { skip }, async (t) => {
  const doomed = await FrontProcess.start(redis.url, path.join(dir, 'doomed'), 3000);
  try {
    const client = await BridgeClient.connect(doomed.wsUrl, null, 'doomed-client');
    const busy = workers.length;
    const n = busy + 2;
    const ids = Array.from({ length: n }, (_, i) => `doomed-${i}`);
    // The ones left waiting are four times the work, so one started in the window is still running when the key lapses.
    ids.forEach((id, i) => send(client, id, i < busy ? longJob(500 + i) : longJob(500 + i, 2048)));
    const started = (): string[] => [...new Set(client.received.flatMap((r) => (r.kind === 'message' && r.message.type === 'started' ? [r.message.id] : [])))];
    const running = await waitFor('every worker busy', () => (started().length === busy ? started() : undefined), 60_000);
    const nearlyDone = (id: string): boolean => client.received.some((r) => r.kind === 'message' && r.message.type === 'progress' && r.message.id === id && r.message.step >= 140);
    await waitFor('the busy jobs nearly done', () => (running.every(nearlyDone) ? true : undefined), 240_000);
    await doomed.kill();
    const ended = (verb: 'skipped' | 'stopped while running'): string[] => {
      const found = new Set<string>();
      for (const w of workers) for (const m of w.log.matchAll(new RegExp(`\\((doomed-\\d+)\\) ${verb}: its front`, 'g'))) found.add(m[1] as string);
      return [...found];
    };
    const waiting = ids.filter((id) => !running.includes(id));
    const accounted = (): boolean => waiting.every((id) => ended('skipped').includes(id) || ended('stopped while running').includes(id));
    await waitFor('every waiting job skipped or stopped', () => (accounted() ? true : undefined), 240_000).catch((err: unknown) => {
      const tails = workers.map((w, i) => `worker ${i}:\n${w.log.split('\n').slice(-15).join('\n')}`).join('\n');
      throw new Error(`${String(err)}; skipped: ${ended('skipped').join(', ') || 'none'}; stopped: ${ended('stopped while running').join(', ') || 'none'}\n${tails}`);
    });
    await waitFor('an empty queue', async () => {
      const q = (await health()).queue;
      return q.depth === 0 && q.jobs['active'] === 0 ? true : undefined;
    }, 240_000);
    t.diagnostic(`busy: ${running.join(', ')}; skipped: ${ended('skipped').join(', ') || 'none'}; stopped while running: ${ended('stopped while running').join(', ') || 'none'}`);
    // The busy ones started while their front was alive: they ended (done, or stopped if they outlasted the key), never skipped.
    assert.deepEqual(ended('skipped').filter((id) => running.includes(id)), []);
    for (const id of ids) assert.ok(!ended('skipped').includes(id) || !ended('stopped while running').includes(id), `${id} both skipped and stopped`);
  } finally {
    await doomed.kill();
  }
});
