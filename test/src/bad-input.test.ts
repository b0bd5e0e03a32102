import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeFrame, type ErrorMessage, type FrameHeader } from '@latent-bridge/bridge-server';
import { BridgeClient } from './bridge-client.js';
import { allPixelsNear, BASE_JOB, startTestBridge, type TestBridge } from './test-server.js';

let bridge: TestBridge;
let client: BridgeClient;
before(async () => {
  bridge = await startTestBridge({ limits: { maxPendingFrames: 2, maxQueuePerClient: 3 } });
  client = await BridgeClient.connect(bridge.wsUrl, bridge.token);
});
after(async () => {
  client.close();
  await bridge.stop();
});

let seen = 0;
/** The next error this client gets after what the last call saw. */
async function nextError(): Promise<ErrorMessage> {
  const e = await client.nextMessage<ErrorMessage>((m) => m.type === 'error', 10_000, seen);
  seen = client.received.findIndex((r) => r.kind === 'message' && r.message === e) + 1;
  return e;
}

async function expectError(send: () => void, code: string, field: string | undefined, id?: string): Promise<void> {
  send();
  const e = await nextError();
  assert.equal(e.code, code, JSON.stringify(e));
  assert.equal(e.field, field, JSON.stringify(e));
  assert.equal(e.id, id, JSON.stringify(e));
}

function imageHeader(overrides: Partial<FrameHeader> = {}): FrameHeader {
  return { kind: 'image', format: 'raw-rgba', width: 8, height: 8, channels: 4, bitDepth: 8, frameId: 1, jobId: 'img-1', batchIndex: 0, ...overrides };
}

test('each kind of bad input gets its catalogued code and field, and the connection stays usable', async () => {
  await expectError(() => client.send('{"type": "generate", '), 'malformed_message', undefined);
  await expectError(() => client.send('[1, 2]'), 'malformed_message', undefined);
  await expectError(() => client.send({ type: 'dance' }), 'unknown_message_type', 'type');
  await expectError(() => client.send({ prompt: 'no type' }), 'malformed_message', 'type');
  await expectError(() => client.generate({ ...BASE_JOB, id: 'j-steps', steps: 'many' as unknown as number }), 'invalid_field', 'steps', 'j-steps');
  await expectError(() => client.generate({ ...BASE_JOB, id: 'j-typo', stpes: 3 } as never), 'invalid_field', 'stpes', 'j-typo');
  await expectError(() => client.generate({ ...BASE_JOB, id: 'j-big', steps: 100_000 }), 'limit_exceeded', 'steps', 'j-big');
  await expectError(() => client.generate({ ...BASE_JOB, id: 'j-sched', scheduler: 'warp-drive' }), 'unknown_scheduler', 'scheduler', 'j-sched');
  await expectError(() => client.generate({ ...BASE_JOB, id: 'j-model', model: 'nope' }), 'model_not_found', 'model', 'j-model');
  await expectError(() => client.generate({ ...BASE_JOB, id: 'j-path', model: '../../etc' }), 'model_not_found', 'model', 'j-path');
  await expectError(() => client.generate({ ...BASE_JOB, id: 'j-abs', model: '/tmp' }), 'model_not_found', 'model', 'j-abs');
  await expectError(() => client.send({ type: 'cancel', id: 'never-was' }), 'job_not_found', 'id', 'never-was');
  // An id that is not a job id cannot address a job: the error goes without one.
  await expectError(() => client.generate({ ...BASE_JOB, id: 'no spaces!' }), 'invalid_field', 'id', undefined);
  await expectError(() => client.send({ type: 'cancel', id: 'x'.repeat(65) }), 'invalid_field', 'id', undefined);
  await expectError(() => client.send('x'.repeat(300 * 1024)), 'limit_exceeded', undefined);
});

test('bad frames: header/bytes disagreement, truncation, wrong kind, frames never sent, too many pending', async () => {
  const good = encodeFrame(imageHeader(), new Uint8Array(8 * 8 * 4));
  // The header says 8×8 but the payload length field says one byte less than the bytes.
  const lying = good.slice();
  new DataView(lying.buffer).setUint32(24, 8 * 8 * 4 - 1, true);
  await expectError(() => client.sendBytes(lying), 'frame_invalid', 'payloadLength', 'img-1');
  await expectError(() => client.sendBytes(good.subarray(0, good.length - 10)), 'frame_invalid', 'payload', 'img-1');
  await expectError(() => client.sendBytes(good.subarray(0, 20)), 'frame_invalid', 'header', undefined);
  await expectError(() => client.sendBytes(new Uint8Array([1, 2, 3, 4, 5])), 'frame_invalid', 'magic', undefined);
  const resultKind = good.slice();
  resultKind[7] = 4;
  await expectError(() => client.sendBytes(resultKind), 'frame_invalid', 'kind', 'img-1');
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(16, 1_000_000, true);
  await expectError(() => client.sendBytes(huge), 'frame_invalid', 'width', 'img-1');

  await expectError(
    () => client.generate({ ...BASE_JOB, id: 'i2i', mode: 'img2img', image: { frame: 42 } }),
    'frame_missing',
    'image',
    'i2i',
  );
  // Frames wait for their generate, at most maxPendingFrames (2 here) of them.
  client.sendBytes(encodeFrame(imageHeader({ frameId: 10, jobId: 'p1' }), new Uint8Array(256)));
  client.sendBytes(encodeFrame(imageHeader({ frameId: 11, jobId: 'p2' }), new Uint8Array(256)));
  await expectError(() => client.sendBytes(encodeFrame(imageHeader({ frameId: 12, jobId: 'p3' }), new Uint8Array(256))), 'limit_exceeded', 'frameId', 'p3');
  await expectError(() => client.sendBytes(encodeFrame(imageHeader({ frameId: 10, jobId: 'p4' }), new Uint8Array(256))), 'frame_invalid', 'frameId', 'p4');
  // A frame sent for another job cannot be claimed, nor can a mask frame as the image.
  await expectError(() => client.generate({ ...BASE_JOB, id: 'p9', mode: 'img2img', image: { frame: 10 } }), 'frame_missing', 'image', 'p9');
  // txt2img must not name frames at all.
  await expectError(() => client.generate({ ...BASE_JOB, id: 'p1', image: { frame: 10 } }), 'invalid_field', 'image', 'p1');
});

test('after all of that the same connection still runs a valid job', async () => {
  client.generate({ ...BASE_JOB, id: 'still-fine' });
  const trace = await client.job('still-fine');
  assert.equal(trace.end.type, 'done', JSON.stringify(trace.end));
  assert.ok(allPixelsNear(trace.results[0]?.payload ?? new Uint8Array(), [191, 64, 64]));
  // A duplicate id of an unfinished job is refused without touching that job.
  client.generate({ ...BASE_JOB, id: 'dup', steps: 50, width: 256, height: 256 });
  client.generate({ ...BASE_JOB, id: 'dup' });
  // The error names no job id: an error with the id would end the running job for the client.
  const e = await client.nextMessage<ErrorMessage>((m) => m.type === 'error' && m.field === 'id' && m.message.includes('"dup"'));
  assert.equal(e.code, 'invalid_field');
  assert.equal(e.id, undefined);
  assert.match(e.message, /"dup"/);
  assert.equal((await client.job('dup')).end.type, 'done');
});

test('more unfinished jobs than maxQueuePerClient: queue_full for the extra one only', async () => {
  const long = { ...BASE_JOB, steps: 100, width: 256, height: 256 };
  const mark = client.mark();
  for (const id of ['q1', 'q2', 'q3', 'q4']) client.generate({ ...long, id });
  const full = await client.job('q4', 10_000, mark);
  assert.deepEqual(full.end.type === 'error' && [full.end.code, full.end.field], ['queue_full', 'id']);
  for (const id of ['q1', 'q2', 'q3']) client.send({ type: 'cancel', id });
  for (const id of ['q1', 'q2', 'q3']) assert.equal((await client.job(id, 10_000, mark)).end.type, 'cancelled');
});
