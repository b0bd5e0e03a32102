import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { workerOptions } from '../cli/worker-command.js';
import { serveOptions } from '../cli/serve-command.js';
import { redisOptions } from './redis.js';
import { ClusterKeys, decodeEvent, encodeEvent, isOutcome, outcomeError } from './wire.js';

test('events carry a JSON header and binary pixels, unchanged and without base64', () => {
  const pixels = new Uint8Array([0, 1, 2, 250, 255]);
  const message = encodeEvent({ job: 'j', kind: 'preview', index: 1, step: 3, format: 'raw-rgba', width: 1, height: 1, channels: 4, bitDepth: 8 }, pixels);
  assert.equal(message.length, 4 + message.readUInt32BE(0) + pixels.length);
  const decoded = decodeEvent(message);
  assert.ok(decoded);
  assert.equal(decoded.event.kind, 'preview');
  assert.deepEqual([...decoded.payload], [...pixels]);
  assert.equal(decodeEvent(Buffer.from([0, 0, 0, 9, 1])), undefined, 'a header longer than the message');
  assert.equal(decodeEvent(Buffer.from('\u0000\u0000\u0000\u0002{}')), undefined, 'no job or kind');
  assert.equal(decodeEvent(Buffer.from([1, 2])), undefined);
});

test('outcomes from Redis are checked; an unknown error code becomes internal', () => {
  assert.equal(isOutcome({ kind: 'done', results: [] }), true);
  assert.equal(isOutcome({ kind: 'done' }), false);
  assert.equal(isOutcome(null), false);
  const known = outcomeError({ kind: 'error', code: 'prompt_syntax', message: 'bad', field: 'prompt', worker: 'w' });
  assert.ok(known instanceof BridgeError);
  assert.equal(known.code, 'prompt_syntax');
  assert.equal(known.field, 'prompt');
  assert.equal(outcomeError({ kind: 'error', code: 'made_up', message: 'x', worker: 'w' }).code, 'internal');
});

test('redis URLs: host, port, db, credentials, TLS; anything else is invalid_field queue', () => {
  const o = redisOptions('redis://user:p%40ss@10.0.0.5:6380/2');
  assert.deepEqual([o.host, o.port, o.db, o.username, o.password, o.tls], ['10.0.0.5', 6380, 2, 'user', 'p@ss', undefined]);
  assert.equal(o.maxRetriesPerRequest, null, 'commands wait through a Redis restart');
  assert.deepEqual(redisOptions('rediss://cache.example').tls, {});
  assert.equal(redisOptions('redis://[::1]:7000').host, '::1');
  for (const bad of ['localhost:6379', 'http://x:1', 'redis://h/notanumber']) {
    assert.throws(() => redisOptions(bad), (e: unknown) => e instanceof BridgeError && e.code === 'invalid_field' && e.field === 'queue', bad);
  }
});

test('serve --queue and worker options', () => {
  assert.equal(serveOptions(['--queue', 'redis://127.0.0.1:6379']).queue, 'redis://127.0.0.1:6379');
  assert.equal(serveOptions([]).queue, undefined, 'single-process by default');
  assert.throws(() => serveOptions(['--queue', 'nope']), /queue/);
  const w = workerOptions(['--queue', 'redis://h:1', '--health-port', '0', '--lock-ms', '2000', '--drain-ms', '0', '--threads', '2'], {});
  assert.deepEqual([w.queue, w.healthPort, w.lockMs, w.drainMs, w.threads], ['redis://h:1', 0, 2000, 0, 2]);
  assert.throws(() => workerOptions([], {}), (e: unknown) => e instanceof BridgeError && e.field === 'queue');
  assert.throws(() => workerOptions(['--queue', 'redis://h:1', '--lock-ms', '10'], {}), (e: unknown) => e instanceof BridgeError && e.field === 'lock-ms');
});

test('worker folders: --checkpoints, --loras, --embeddings, else their environment variables', () => {
  const w = workerOptions(['--queue', 'redis://h:1', '--checkpoints', '/c', '--loras', '/l'], { LATENT_BRIDGE_EMBEDDINGS: '/e' });
  assert.deepEqual([w.checkpointsDir, w.lorasDir, w.embeddingsDir], ['/c', '/l', '/e']);
  const none = workerOptions(['--queue', 'redis://h:1'], {});
  assert.deepEqual([none.checkpointsDir, none.lorasDir, none.embeddingsDir], [undefined, undefined, undefined]);
});

test('worker residency: lean unless --keep-sessions or LATENT_BRIDGE_KEEP_SESSIONS=1', () => {
  assert.equal(workerOptions(['--queue', 'redis://h:1'], {}).residency, undefined);
  assert.equal(workerOptions(['--queue', 'redis://h:1', '--keep-sessions'], {}).residency, 'resident');
  assert.equal(workerOptions(['--queue', 'redis://h:1'], { LATENT_BRIDGE_KEEP_SESSIONS: '1' }).residency, 'resident');
});

test('a checkpoint file\'s queue: one per file name, whatever characters the name holds', () => {
  const keys = new ClusterKeys('lb');
  const a = keys.checkpointQueue('Tiny SD1 (ckpt).ckpt');
  assert.equal(a, keys.checkpointQueue('Tiny SD1 (ckpt).ckpt'));
  assert.notEqual(a, keys.checkpointQueue('tiny-sd1.safetensors'));
  assert.match(keys.checkpointQueue('a:b/c.safetensors'), /^checkpoint\.[0-9a-f]{24}$/);
  assert.notEqual(a, keys.queueName('Tiny-SD1-ckpt'), 'apart from the model queues');
});
