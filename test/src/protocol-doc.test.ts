/**
 * Promises shared/PROTOCOL.md makes that a client written from the document alone relies on:
 * the example scheduler names are ones the server offers, queue_full is reached by a burst every
 * time, an animation's `done.timings` has the encode/denoise/decode phases, and a malformed hello
 * closes the connection like the other hello failures.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { type DoneMessage, type ErrorMessage, type WelcomeMessage } from '@latent-bridge/bridge-server';
import { BridgeClient } from './bridge-client.js';
import { BASE_JOB, startTestBridge, type TestBridge } from './test-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_QUEUE = 3;

let bridge: TestBridge;
before(async () => {
  bridge = await startTestBridge({ limits: { maxQueuePerClient: MAX_QUEUE } });
});
after(() => bridge.stop());

test('every scheduler name in PROTOCOL.md and the message fixtures is one the server offers', async () => {
  const c = await BridgeClient.open(bridge.wsUrl);
  c.send({ type: 'hello', protocol: 1, client: 'doc-check/1', token: bridge.token });
  const welcome = await c.nextMessage<WelcomeMessage>((m) => m.type === 'welcome');
  c.close();
  const offered = new Set(welcome.capabilities.schedulers);
  const doc = await readFile(resolve(root, 'shared/PROTOCOL.md'), 'utf8');
  const named = new Set<string>();
  for (const m of doc.matchAll(/"scheduler":\s*"([^"]+)"/g)) named.add(m[1] as string);
  for (const m of doc.matchAll(/"schedulers":\s*\[([^\]]*)\]/g)) for (const n of (m[1] as string).matchAll(/"([^"]+)"/g)) named.add(n[1] as string);
  const fixtures = await readFile(resolve(root, 'shared/src/fixtures/message-fixtures.ts'), 'utf8');
  for (const m of fixtures.matchAll(/scheduler:\s*'([^']+)'/g)) named.add(m[1] as string);
  assert.ok(named.size >= 3, `found ${[...named].join(', ')}`);
  assert.deepEqual([...named].filter((n) => !offered.has(n)), []);
});

test('queue_full: maxQueuePerClient + 1 generates in one burst refuse the last one, every time', async () => {
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  // Quick one-step jobs on purpose: the rule must not depend on the jobs being slow.
  for (let round = 0; round < 8; round++) {
    const mark = c.mark();
    const ids = Array.from({ length: MAX_QUEUE + 1 }, (_, i) => `r${round}-${i}`);
    for (const id of ids) c.generate({ ...BASE_JOB, id, steps: 1 });
    const last = await c.job(ids[MAX_QUEUE] as string, 20_000, mark);
    assert.deepEqual(last.end.type === 'error' && [last.end.code, last.end.field, last.end.id], ['queue_full', 'id', ids[MAX_QUEUE]], `round ${round}`);
    for (const id of ids.slice(0, MAX_QUEUE)) assert.equal((await c.job(id, 20_000, mark)).end.type, 'done');
  }
  c.close();
});

test('an animation reports encode, denoise and decode time in done.timings, as a single image does', async () => {
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  c.generate({ ...BASE_JOB, id: 'anim', steps: 2, animation: { frames: 3, toPrompt: 'blue', chainStrength: 0.5 } });
  const trace = await c.job('anim');
  c.close();
  const done = trace.end as DoneMessage;
  assert.equal(done.type, 'done', JSON.stringify(done));
  for (const phase of ['queueMs', 'loadMs', 'encodeMs', 'denoiseMs', 'decodeMs', 'totalMs']) {
    assert.equal(typeof done.timings[phase], 'number', `${phase} in ${JSON.stringify(done.timings)}`);
  }
  const [encodeMs, denoiseMs, decodeMs, totalMs] = ['encodeMs', 'denoiseMs', 'decodeMs', 'totalMs'].map((k) => done.timings[k] ?? NaN) as [number, number, number, number];
  assert.ok(denoiseMs > 0 && decodeMs > 0, JSON.stringify(done.timings));
  assert.ok(encodeMs + denoiseMs + decodeMs <= totalMs + 3, JSON.stringify(done.timings));
});

test('seedResizeFrom and variation reach the result parameters as A1111 writes them', async () => {
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  c.generate({ ...BASE_JOB, id: 'resize', seed: 11, variation: { seed: 40, strength: 0.3 }, seedResizeFrom: { width: 96, height: 48 } });
  const trace = await c.job('resize');
  c.close();
  assert.equal(trace.end.type, 'done', JSON.stringify(trace.end));
  const result = trace.messages.find((m) => m.type === 'result');
  assert.match(result?.type === 'result' ? result.parameters : '', /Seed: 11, .*Variation seed: 40, Variation seed strength: 0\.3, Seed resize from: 96x48/);
});

test('a malformed hello (protocol "1") is invalid_field on protocol, then the 1008 close', async () => {
  const c = await BridgeClient.open(bridge.wsUrl);
  c.send({ type: 'hello', protocol: '1', client: 'x', token: bridge.token });
  const closed = await c.closed;
  assert.equal(closed.code, 1008);
  const errors = c.messages.filter((m): m is ErrorMessage => m.type === 'error');
  assert.deepEqual(errors.map((e) => [e.code, e.field, 'id' in e]), [['invalid_field', 'protocol', false]]);
});
