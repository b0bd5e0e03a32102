import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  decodeImage,
  oracleExpectedPixel,
  readPngParameters,
  type ProgressMessage,
  type QueuedMessage,
  type ResultMessage,
  type ServerMessage,
} from '@latent-bridge/bridge-server';
import { BridgeClient } from './bridge-client.js';
import { allPixelsNear, BASE_JOB, startTestBridge, type TestBridge } from './test-server.js';

let bridge: TestBridge;
before(async () => {
  // Long jobs (many steps) are what cancel and disconnect need to land in the middle of.
  bridge = await startTestBridge({ limits: { maxSteps: 1000 } });
});
after(() => bridge.stop());

const RED = oracleExpectedPixel({ prompt: 'red', guidance: 1 });

test('txt2img on the oracle: queued, started, progress every step, result pixels are the prompt colour, done', async () => {
  assert.deepEqual(RED, [191, 64, 64]);
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  c.generate({ ...BASE_JOB, id: 'red-1', steps: 5 });
  const trace = await c.job('red-1');
  assert.equal(trace.end.type, 'done', JSON.stringify(trace.end));
  const types = trace.messages.map((m) => m.type);
  assert.deepEqual(types, ['queued', 'started', 'progress', 'progress', 'progress', 'progress', 'progress', 'result', 'done']);
  const steps = trace.messages.filter((m): m is ProgressMessage => m.type === 'progress').map((m) => [m.step, m.total]);
  assert.deepEqual(steps, [[1, 5], [2, 5], [3, 5], [4, 5], [5, 5]]);
  const result = trace.messages.find((m): m is ResultMessage => m.type === 'result');
  assert.ok(result);
  assert.equal(result.seed, 7);
  assert.match(result.parameters, /^red\nSteps: 5, Sampler: Euler, CFG scale: 1, Seed: 7, Size: 64x64, Model: demo$/);
  const [frame] = trace.results;
  assert.ok(frame);
  assert.equal(frame.header.frameId, result.frame);
  assert.deepEqual([frame.header.format, frame.header.width, frame.header.height, frame.header.channels, frame.header.bitDepth], ['raw-rgba', 64, 64, 4, 8]);
  assert.ok(allPixelsNear(frame.payload, RED), `pixels ${[...frame.payload.subarray(0, 4)]}`);
  const done = trace.end.type === 'done' ? trace.end : undefined;
  assert.equal(done?.results, 1);
  for (const k of ['queueMs', 'loadMs', 'encodeMs', 'denoiseMs', 'decodeMs', 'totalMs']) assert.equal(typeof done?.timings[k], 'number', k);
  c.close();
});

test('previews every n steps in both formats; PNG results carry the parameters text; batch seeds count up', async () => {
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  c.generate({ ...BASE_JOB, id: 'pv', prompt: 'blue', steps: 6, batch: 2, preview: { every: 2 }, previewFormat: 'jpeg', resultFormat: 'png' });
  const trace = await c.job('pv');
  assert.equal(trace.end.type, 'done', JSON.stringify(trace.end));
  const progress = trace.messages.filter((m): m is ProgressMessage => m.type === 'progress');
  // Both images are denoised together: each step counts once per image.
  assert.deepEqual(progress.map((p) => p.step), [2, 4, 6, 8, 10, 12]);
  assert.ok(progress.every((p) => p.total === 12));
  assert.ok(progress.slice(1).every((p) => typeof p.etaMs === 'number'));
  const previews = trace.messages.filter((m) => m.type === 'preview');
  assert.deepEqual(previews.map((p) => p.type === 'preview' && [p.step, p.index]), [[2, 0], [2, 1], [4, 0], [4, 1], [6, 0], [6, 1]]);
  assert.equal(trace.previews.length, 6);
  for (const f of trace.previews) assert.deepEqual([f.header.format, f.header.width, f.header.height, f.header.channels], ['jpeg', 8, 8, 3]);
  const blue = oracleExpectedPixel({ prompt: 'blue', guidance: 1 });
  const results = trace.messages.filter((m): m is ResultMessage => m.type === 'result');
  assert.deepEqual(results.map((r) => [r.index, r.seed]), [[0, 7], [1, 8]]);
  for (const f of trace.results) {
    assert.equal(f.header.format, 'png');
    assert.match(readPngParameters(f.payload) ?? '', /^blue\nSteps: 6, .*Seed: (7|8), Size: 64x64, Model: demo$/);
    const img = await decodeImage(f.payload);
    assert.ok(allPixelsNear(img.data, blue));
  }

  c.generate({ ...BASE_JOB, id: 'raw-pv', steps: 2, preview: true });
  const raw = await c.job('raw-pv');
  assert.equal(raw.previews.length, 2);
  assert.deepEqual([raw.previews[0]?.header.format, raw.previews[0]?.payload.length], ['raw-rgba', 8 * 8 * 4]);
  c.close();
});

test('two clients submitting at once both finish, in fair order', async () => {
  const a = await BridgeClient.connect(bridge.wsUrl, bridge.token, 'client-a');
  const b = await BridgeClient.connect(bridge.wsUrl, bridge.token, 'client-b');
  const job = { ...BASE_JOB, steps: 40, width: 256, height: 256 };
  a.generate({ ...job, id: 'a1', prompt: 'green' });
  a.generate({ ...job, id: 'a2', prompt: 'green' });
  await a.nextMessage((m) => m.type === 'started' && m.id === 'a1');
  b.generate({ ...job, id: 'b1', prompt: 'yellow' });
  const queued = await b.nextMessage<QueuedMessage>((m) => m.type === 'queued');
  // a1 runs, b1 goes before a2 (A was just served), so nothing but a1 is ahead of b1.
  assert.equal(queued.position, 1);
  const [ta1, ta2, tb1] = await Promise.all([a.job('a1'), a.job('a2'), b.job('b1')]);
  for (const t of [ta1, ta2, tb1]) assert.equal(t.end.type, 'done', JSON.stringify(t.end));
  const startedAt = (client: BridgeClient, id: string) =>
    client.received.find((r) => r.kind === 'message' && r.message.type === 'started' && r.message.id === id)?.at ?? NaN;
  const order = [['a1', startedAt(a, 'a1')], ['a2', startedAt(a, 'a2')], ['b1', startedAt(b, 'b1')]] as const;
  assert.deepEqual([...order].sort((x, y) => x[1] - y[1]).map((x) => x[0]), ['a1', 'b1', 'a2']);
  assert.ok(allPixelsNear(tb1.results[0]?.payload ?? new Uint8Array(), oracleExpectedPixel({ prompt: 'yellow', guidance: 1 })));
  assert.ok(allPixelsNear(ta2.results[0]?.payload ?? new Uint8Array(), oracleExpectedPixel({ prompt: 'green', guidance: 1 })));
  a.close();
  b.close();
});

/** Index of the last progress step seen in `messages`. */
function lastStep(messages: readonly ServerMessage[]): number {
  let step = 0;
  for (const m of messages) if (m.type === 'progress') step = m.step;
  return step;
}

test('cancel mid-job stops it within one step and frees the server', async () => {
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  c.generate({ ...BASE_JOB, id: 'long', steps: 1000, width: 512, height: 512 });
  await c.nextMessage((m) => m.type === 'progress' && m.id === 'long' && m.step >= 5);
  const seenAtCancel = lastStep(c.messages);
  c.send({ type: 'cancel', id: 'long' });
  const trace = await c.job('long');
  assert.equal(trace.end.type, 'cancelled');
  assert.equal(trace.results.length, 0);
  const stepsAfterCancel = lastStep(trace.messages) - seenAtCancel;
  // The step running when the cancel arrives finishes; one more may already be in flight to us.
  assert.ok(stepsAfterCancel <= 2, `the job ran ${stepsAfterCancel} steps after cancel`);
  console.log(`# cancel landed ${stepsAfterCancel} step(s) after the client sent it`);
  c.send({ type: 'cancel', id: 'long' });
  const late = await c.nextMessage((m) => m.type === 'error' && m.id === 'long');
  assert.equal(late.type === 'error' && late.code, 'job_not_found');

  // A queued (not yet running) job is cancelled at once.
  c.generate({ ...BASE_JOB, id: 'busy', steps: 1000, width: 512, height: 512 });
  c.generate({ ...BASE_JOB, id: 'waiting' });
  await c.nextMessage((m) => m.type === 'queued' && m.id === 'waiting');
  c.send({ type: 'cancel', id: 'waiting' });
  assert.equal((await c.job('waiting')).end.type, 'cancelled');
  c.send({ type: 'cancel', id: 'busy' });
  assert.equal((await c.job('busy')).end.type, 'cancelled');

  c.generate({ ...BASE_JOB, id: 'after' });
  assert.equal((await c.job('after')).end.type, 'done');
  c.close();
});

test('a client that disconnects mid-job has it cancelled, and the next client runs at once', async () => {
  const a = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  const b = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  a.generate({ ...BASE_JOB, id: 'doomed', steps: 1000, width: 512, height: 512 });
  await a.nextMessage((m) => m.type === 'progress' && m.step >= 3);
  b.generate({ ...BASE_JOB, id: 'next', prompt: 'white' });
  await b.nextMessage((m) => m.type === 'queued' && m.id === 'next');
  const perStepMs = estimateStepMs(a);
  const cut = performance.now();
  a.terminate();
  await b.nextMessage((m) => m.type === 'started' && m.id === 'next');
  const waitedMs = performance.now() - cut;
  const trace = await b.job('next');
  assert.equal(trace.end.type, 'done');
  assert.ok(allPixelsNear(trace.results[0]?.payload ?? new Uint8Array(), oracleExpectedPixel({ prompt: 'white', guidance: 1 })));
  // The 1000-step job would have taken perStepMs × 1000; the next job started within a few steps.
  assert.ok(waitedMs < Math.max(1000, perStepMs * 50), `next job waited ${waitedMs.toFixed(0)} ms (step ≈ ${perStepMs.toFixed(1)} ms)`);
  assert.equal(bridge.stats().queueLength, 0);
});

function estimateStepMs(c: BridgeClient): number {
  const times = c.received.filter((r) => r.kind === 'message' && r.message.type === 'progress').map((r) => r.at);
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? 0;
  return times.length > 1 ? (last - first) / (times.length - 1) : 1;
}
