import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError, CLIENT_FRAME_KINDS, decodeFrame, encodeFrameParts, peekFrameIds, resolveLimits, type FrameHeader } from '@latent-bridge/shared';
import { clientFrameJobId, decodeClientFrame } from './frame-intake.js';

const limits = resolveLimits();

function frameParts(header: Partial<FrameHeader>, payload: Uint8Array): [Buffer, Buffer] {
  const full: FrameHeader = { kind: 'image', format: 'raw-rgba', width: 8, height: 8, channels: 4, bitDepth: 8, frameId: 3, jobId: 'job-7', batchIndex: 0, ...header };
  const { head } = encodeFrameParts(full, payload);
  return [Buffer.from(head), Buffer.from(payload)];
}

const rgba = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13) & 0xff);

/** What decodeFrame makes of the joined bytes: the frame, or the error it throws. */
function outcome(fn: () => { header: FrameHeader; payload: Uint8Array }): unknown {
  try {
    const { header, payload } = fn();
    return { header, payload: Buffer.from(payload).toString('hex') };
  } catch (err) {
    assert.ok(err instanceof BridgeError, String(err));
    return err.toJSON();
  }
}

test('a raw frame sent as header and payload keeps the payload it came in, no copy', () => {
  const [head, payload] = frameParts({}, rgba(8 * 8 * 4));
  const frame = decodeClientFrame([head, payload], limits);
  assert.equal(frame.payload.buffer, payload.buffer);
  assert.equal(frame.payload.byteOffset, payload.byteOffset);
  assert.equal(frame.payload.length, payload.length);
  assert.deepEqual(frame.header, decodeFrame(Buffer.concat([head, payload]), limits, CLIENT_FRAME_KINDS).header);
});

test('a frame in one piece is decoded in place, whether as a buffer or one fragment', () => {
  const whole = Buffer.concat(frameParts({}, rgba(8 * 8 * 4)));
  for (const data of [whole, [whole]]) {
    const frame = decodeClientFrame(data, limits);
    assert.equal(frame.payload.buffer, whole.buffer);
  }
});

test('fragments in any other layout are checked exactly as the joined frame is', () => {
  const raw = frameParts({}, rgba(8 * 8 * 4));
  const joined = Buffer.concat(raw);
  // Just enough of a PNG for the frame checks: signature, IHDR saying 8×8, padding.
  const pngBytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.from([0, 0, 0, 8, 0, 0, 0, 8]), Buffer.alloc(20)]);
  const png = frameParts({ format: 'png' }, pngBytes);
  const notPng = [png[0], Buffer.alloc(pngBytes.length)];
  const result = frameParts({ kind: 'result' }, rgba(8 * 8 * 4));
  const badMagic = [Buffer.concat([Buffer.from('XXXX'), raw[0].subarray(4)]), raw[1]];
  const cases: Record<string, Buffer[]> = {
    'cut mid-header': [joined.subarray(0, 20), joined.subarray(20)],
    'header and part of the payload first': [joined.subarray(0, raw[0].length + 5), joined.subarray(raw[0].length + 5)],
    'three fragments': [raw[0], raw[1].subarray(0, 100), raw[1].subarray(100)],
    'payload one byte short': [raw[0], raw[1].subarray(1)],
    'a byte after the payload': [raw[0], Buffer.concat([raw[1], Buffer.from([0])])],
    'an encoded payload (signature checked)': png,
    'an encoded payload that is not what it says': notPng,
    'a kind the server does not take': result,
    'bad magic': badMagic,
    'header only': [raw[0]],
  };
  for (const [name, parts] of Object.entries(cases)) {
    const expected = outcome(() => decodeFrame(Buffer.concat(parts), limits, CLIENT_FRAME_KINDS));
    assert.deepEqual(outcome(() => decodeClientFrame(parts, limits)), expected, name);
    assert.equal(clientFrameJobId(parts), peekFrameIds(Buffer.concat(parts)).jobId, name);
  }
  // The cases above must include refusals, or they would not show the checks are the same.
  assert.ok(Object.values(cases).filter((parts) => 'code' in (outcome(() => decodeClientFrame(parts, limits)) as object)).length >= 6);
});
