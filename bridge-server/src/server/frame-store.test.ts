import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError, type DecodedFrame, type FrameKind } from '@latent-bridge/shared';
import { FrameStore } from './frame-store.js';

function frame(frameId: number, jobId: string, kind: FrameKind = 'image'): DecodedFrame {
  const format = kind === 'mask' ? 'raw-gray' : 'raw-rgba';
  const channels = kind === 'mask' ? 1 : 4;
  return {
    header: { kind, format, width: 1, height: 1, channels, bitDepth: 8, frameId, jobId, batchIndex: 0 },
    payload: new Uint8Array(channels),
  };
}

const code = (c: string, field?: string) => (e: unknown) => e instanceof BridgeError && e.code === c && (field === undefined || e.field === field);

test('a generate claims its frames by id, job and kind, once', () => {
  const store = new FrameStore({ maxPendingFrames: 4, frameTtlMs: 1000 });
  store.add(frame(1, 'j1'));
  store.add(frame(2, 'j1', 'mask'));
  assert.throws(() => store.claim(1, 'other', 'image', 'image'), code('frame_missing', 'image'));
  assert.throws(() => store.claim(2, 'j1', 'image', 'image'), code('frame_invalid', 'image'));
  assert.throws(() => store.claim(9, 'j1', 'image', 'image'), code('frame_missing', 'image'));
  assert.equal(store.claim(1, 'j1', 'image', 'image').header.frameId, 1);
  assert.throws(() => store.claim(1, 'j1', 'image', 'image'), code('frame_missing'));
  assert.equal(store.pending, 1);
  // A held id (claimed or not) cannot be reused until its job ends.
  assert.throws(() => store.add(frame(1, 'j2')), code('frame_invalid', 'frameId'));
  store.release('j1');
  assert.equal(store.size, 1);
  store.add(frame(1, 'j2'));
});

test('pending frames are limited and expire after the TTL', () => {
  let now = 0;
  const store = new FrameStore({ maxPendingFrames: 2, frameTtlMs: 100 }, () => now);
  store.add(frame(1, 'a'));
  store.add(frame(2, 'a'));
  assert.throws(() => store.add(frame(3, 'a')), code('limit_exceeded', 'frameId'));
  now = 50;
  store.claim(1, 'a', 'image', 'image');
  store.add(frame(3, 'b'));
  now = 120;
  // Frame 2 is past its TTL; claimed frame 1 is kept; frame 3 is young.
  assert.throws(() => store.claim(2, 'a', 'image', 'image'), code('frame_missing'));
  assert.equal(store.size, 2);
  store.dropUnclaimed('b');
  assert.equal(store.size, 1);
});
