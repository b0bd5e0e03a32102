/**
 * Checkpoints over the protocol, on a real bridge and socket: the checkpoints folder listed in the
 * welcome, import-model as a queued job with import progress and the installed name, every client
 * told of the new model, the result's parameters carrying A1111's model hash, a generate naming a
 * checkpoint that is imported on first use, and bad sources refused by name.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ServerMessage } from '@latent-bridge/shared';
import { checkpointFixture } from '../convert/testing/checkpoint-fixtures.js';
import { startBridgeServer, type RunningBridge } from './bridge-server.js';
import { Client, terminal } from './testing/frame-client.js';

const work = await mkdtemp(join(tmpdir(), 'lb-ckpt-server-'));
let bridge: RunningBridge | undefined;
after(async () => {
  await bridge?.close();
  await rm(work, { recursive: true, force: true });
});

test('import-model, the models push and first-use imports over the WebSocket', async (t) => {
  const fixture = await checkpointFixture(t, 'sd1', 'fp32');
  if (fixture === undefined) return;
  t.after(() => fixture.reference.close());
  const checkpoints = join(work, 'checkpoints');
  await mkdir(checkpoints, { recursive: true });
  await copyFile(join(fixture.dir, 'model.safetensors'), join(checkpoints, 'tiny-sd1.safetensors'));
  await copyFile(join(fixture.dir, 'model.ckpt'), join(checkpoints, 'Tiny SD1 (ckpt).ckpt'));
  bridge = await startBridgeServer({ port: 0, token: null, configDir: join(work, 'config'), modelsDir: join(work, 'models'), checkpointsDir: checkpoints, demo: true, threads: 1 });

  const a = await Client.connect(bridge.wsUrl);
  const b = await Client.connect(bridge.wsUrl);
  const welcome = a.messages.find((m) => m.type === 'welcome');
  assert.ok(welcome?.type === 'welcome');
  assert.deepEqual(welcome.capabilities.checkpoints?.map((c) => c.name), ['Tiny SD1 (ckpt).ckpt', 'tiny-sd1.safetensors']);
  assert.ok(welcome.capabilities.checkpoints?.every((c) => c.bytes > 0 && c.imported === undefined));

  // Refusals name the field: a file not in the folder, a path, a name that is not a model name.
  a.send({ type: 'import-model', id: 'missing', source: 'nope.safetensors' });
  const missing = await a.next(terminal('missing'));
  assert.ok(missing.type === 'error' && missing.code === 'model_not_found' && missing.field === 'source');
  a.send({ type: 'import-model', id: 'path', source: '../models/x.safetensors' });
  const path = await a.next((m) => m.type === 'error' && m.id === 'path');
  assert.ok(path.type === 'error' && path.code === 'invalid_field' && path.field === 'source');

  const bMark = b.messages.length;
  a.send({ type: 'import-model', id: 'imp-1', source: 'tiny-sd1.safetensors', name: 'tiny' });
  const done = await a.next(terminal('imp-1'));
  assert.ok(done.type === 'done', JSON.stringify(done));
  assert.equal(done.model, 'tiny');
  assert.equal(done.results, 0);
  const kinds = a.trace('imp-1').map((m) => m.type);
  assert.deepEqual([kinds[0], kinds[1], kinds.at(-1)], ['queued', 'started', 'done']);
  const steps = a.trace('imp-1').flatMap((m) => (m.type === 'progress' ? [m] : []));
  assert.ok(steps.length >= 2 && steps.every((p) => p.phase === 'import' && p.total === 1000));
  assert.ok(steps.every((p, i) => i === 0 || p.step > (steps[i - 1]?.step ?? 0)), 'import progress only moves forward');

  // The other client hears of the new model without asking.
  const pushed = await b.next((m) => m.type === 'models' && m.models.some((x) => x.name === 'tiny'), 10_000, bMark);
  assert.ok(pushed.type === 'models');
  const tiny = pushed.models.find((x) => x.name === 'tiny');
  assert.equal(tiny?.family, 'sd1');
  assert.match(tiny?.hash ?? '', /^[0-9a-f]{10}$/);
  assert.deepEqual(tiny?.defaults, { width: 512, height: 512, steps: 25, guidance: 7.5, scheduler: 'pndm' });
  assert.equal(pushed.checkpoints?.find((c) => c.name === 'tiny-sd1.safetensors')?.imported, 'tiny');

  a.send({ type: 'generate', id: 'gen-1', mode: 'txt2img', model: 'tiny', prompt: 'a lighthouse', steps: 2, guidance: 7, scheduler: 'euler', seed: 3, width: 64, height: 64 });
  const result = await a.next((m) => m.type === 'result' && m.id === 'gen-1');
  assert.ok(result.type === 'result');
  assert.match(result.parameters, new RegExp(`Model hash: ${tiny?.hash ?? 'x'}, Model: tiny`));
  assert.equal((await a.next(terminal('gen-1'))).type, 'done');

  // First use: a generate naming a checkpoint not imported yet imports it, then runs.
  const first = 'Tiny-SD1-ckpt';
  b.send({ type: 'generate', id: 'gen-2', mode: 'txt2img', model: first, prompt: 'a lighthouse', steps: 2, guidance: 7, scheduler: 'euler', seed: 3, width: 64, height: 64 });
  const end = await b.next(terminal('gen-2'));
  assert.equal(end.type, 'done', JSON.stringify(end));
  const trace = b.trace('gen-2').map((m) => (m.type === 'progress' ? `progress:${m.phase ?? 'denoise'}` : m.type));
  const queuedAt = trace.indexOf('queued');
  assert.ok(queuedAt > 0 && trace.slice(0, queuedAt).every((k) => k === 'progress:import'), trace.join(' '));
  assert.ok(trace.includes('result'));
  const again = await a.next((m) => m.type === 'models' && m.models.some((x) => x.name === first), 10_000);
  assert.ok(again.type === 'models');
  const r2 = b.messages.find((m) => m.type === 'result' && m.id === 'gen-2');
  assert.ok(r2?.type === 'result');
  assert.match(r2.parameters, new RegExp(`Model hash: [0-9a-f]{10}, Model: ${first}`));

  a.ws.close();
  b.ws.close();
});
