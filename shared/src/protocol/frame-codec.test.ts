/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../errors.js';
import { decodeFrame, decodeFrameHeader, peekFrameIds } from './frame-decode.js';
import { encodeFrame, encodeFrameParts } from './frame-encode.js';
import { FRAME_OFFSETS, rawPayloadLength, type FrameHeader } from './frame-layout.js';

const header: FrameHeader = { kind: 'image', format: 'raw-rgba', width: 4, height: 3, channels: 4, bitDepth: 8, jobId: 'job-1', frameId: 42, batchIndex: 0 };
const payloadFor = (h: FrameHeader): Uint8Array => Uint8Array.from({ length: rawPayloadLength(h) ?? 0 }, (_, i) => (i * 7) & 0xff);

function frameInvalid(run: () => unknown, field: string): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof BridgeError, String(err));
    assert.equal(err.code, 'frame_invalid');
    assert.equal(err.field, field, err.message);
    return true;
  });
}

test('raw frames round-trip for every kind, format and depth', () => {
  const variants: Partial<FrameHeader>[] = [
    {},
    { bitDepth: 16 },
    { kind: 'mask', format: 'raw-gray', channels: 1 },
    { kind: 'mask', format: 'raw-gray', channels: 1, bitDepth: 16 },
    { kind: 'preview', batchIndex: 5 },
    { kind: 'result', batchIndex: 65535, frameId: 0xffff_ffff, jobId: 'x'.repeat(64) },
  ];
  for (const v of variants) {
    const h = { ...header, ...v };
    const payload = payloadFor(h);
    const bytes = encodeFrame(h, payload);
    assert.equal(bytes.length, 32 + h.jobId.length + payload.length);
    const decoded = decodeFrame(bytes);
    assert.deepEqual(decoded.header, h);
    assert.deepEqual([...decoded.payload], [...payload]);
  }
});

test('layout bytes are little-endian at the documented offsets', () => {
  const bytes = encodeFrame(header, payloadFor(header));
  assert.deepEqual([...bytes.subarray(0, 4)], [0x4c, 0x42, 0x46, 0x31]);
  const hex = Buffer.from(bytes.subarray(0, 37)).toString('hex');
  // magic | headerLength 37 | v1 | image | raw-rgba | 4 ch | 8 bit | flags | frame 42 | 4 | 3 | 48 | batch 0 | len 5 | "job-1"
  assert.equal(hex, '4c424631' + '2500' + '01' + '01' + '01' + '04' + '08' + '00' + '2a000000' + '04000000' + '03000000' + '30000000' + '0000' + '0500' + '6a6f622d31');
});

test('decodes from an ArrayBuffer and from a view at an offset, payload is a view', () => {
  const bytes = encodeFrame(header, payloadFor(header));
  assert.deepEqual(decodeFrame(bytes.slice().buffer).header, header);
  const padded = new Uint8Array(bytes.length + 10);
  padded.set(bytes, 3);
  const view = padded.subarray(3, 3 + bytes.length);
  const { payload } = decodeFrame(view);
  assert.equal(payload.buffer, padded.buffer);
  assert.equal(payload.byteOffset, 3 + 37);
  assert.deepEqual(decodeFrame(Buffer.from(bytes)).header, header);
});

test('every header field is validated on decode', () => {
  const good = encodeFrame(header, payloadFor(header));
  const with_ = (edit: (v: DataView) => void): Uint8Array => {
    const copy = good.slice();
    edit(new DataView(copy.buffer));
    return copy;
  };
  frameInvalid(() => decodeFrame(Uint8Array.of(0x4c, 0x42, 0x47)), 'magic');
  frameInvalid(() => decodeFrame(Uint8Array.of(0x4c, 0x42)), 'header');
  frameInvalid(() => decodeFrame(good.subarray(0, 31)), 'header');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.version, 0))), 'version');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.kind, 0))), 'kind');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.kind, 5))), 'kind');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.format, 5))), 'format');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.format, 2))), 'format');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.channels, 1))), 'channels');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.bitDepth, 0))), 'bitDepth');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.bitDepth, 16))), 'payloadLength');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.flags, 0x80))), 'flags');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint32(FRAME_OFFSETS.height, 4, true))), 'payloadLength');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint32(FRAME_OFFSETS.payloadLength, 47, true))), 'payloadLength');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint16(FRAME_OFFSETS.headerLength, 36, true))), 'headerLength');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint16(FRAME_OFFSETS.jobIdLength, 4, true))), 'headerLength');
  frameInvalid(() => decodeFrame(with_((v) => v.setUint8(FRAME_OFFSETS.jobId, 0x2f))), 'jobId');
  frameInvalid(() => decodeFrame(good.subarray(0, good.length - 1)), 'payload');
});

test('limits: pixels and frame bytes, checked before the payload is looked at', () => {
  const bytes = encodeFrame(header, payloadFor(header));
  decodeFrame(bytes, { maxPixels: 12, maxFrameBytes: bytes.length });
  frameInvalid(() => decodeFrame(bytes, { maxPixels: 11 }), 'width');
  frameInvalid(() => decodeFrame(bytes, { maxFrameBytes: bytes.length - 1 }), 'payloadLength');
  // A header alone that declares a huge frame is refused without the payload being present.
  const big: FrameHeader = { ...header, kind: 'result', format: 'png', width: 8000, height: 8000 };
  const headerOnly = encodeFrame({ ...header }, payloadFor(header)).slice(0, 37);
  const view = new DataView(headerOnly.buffer);
  view.setUint8(FRAME_OFFSETS.kind, 4);
  view.setUint8(FRAME_OFFSETS.format, 3);
  view.setUint32(FRAME_OFFSETS.width, big.width, true);
  view.setUint32(FRAME_OFFSETS.height, big.height, true);
  view.setUint32(FRAME_OFFSETS.payloadLength, 2 ** 32 - 1, true);
  frameInvalid(() => decodeFrame(headerOnly), 'width');
  frameInvalid(() => decodeFrame(headerOnly, { maxPixels: 64e6 }), 'payloadLength');
});

test('kinds parameter restricts what a side accepts', () => {
  const result = encodeFrame({ ...header, kind: 'result', batchIndex: 2 }, payloadFor(header));
  assert.equal(decodeFrame(result, undefined, ['preview', 'result']).header.batchIndex, 2);
  frameInvalid(() => decodeFrame(result, undefined, ['image', 'mask']), 'kind');
});

test('encodeFrame refuses what decodeFrame would refuse', () => {
  const p = payloadFor(header);
  frameInvalid(() => encodeFrame({ ...header, jobId: '' }, p), 'jobId');
  frameInvalid(() => encodeFrame({ ...header, jobId: 'jöb' }, p), 'jobId');
  frameInvalid(() => encodeFrame({ ...header, width: 4.5 }, p), 'width');
  frameInvalid(() => encodeFrame({ ...header, width: 2 ** 32 }, p), 'width');
  frameInvalid(() => encodeFrame({ ...header, frameId: -1 }, p), 'frameId');
  frameInvalid(() => encodeFrame({ ...header, batchIndex: 65536 }, p), 'batchIndex');
  frameInvalid(() => encodeFrame({ ...header, batchIndex: 1 }, p), 'batchIndex');
  frameInvalid(() => encodeFrame({ ...header, kind: 'thumbnail' as FrameHeader['kind'] }, p), 'kind');
  frameInvalid(() => encodeFrame({ ...header, format: 'webp' as FrameHeader['format'] }, p), 'format');
  frameInvalid(() => encodeFrame({ ...header, channels: 3 }, p), 'channels');
  frameInvalid(() => encodeFrame(header, p.subarray(1)), 'payloadLength');
  frameInvalid(() => encodeFrame({ ...header, format: 'png' }, p), 'payload');
  frameInvalid(() => encodeFrame({ ...header, format: 'jpeg', channels: 3 }, Uint8Array.of(0xff, 0xd8)), 'payload');
  frameInvalid(() => encodeFrame({ ...header, format: 'jpeg', channels: 3 }, new Uint8Array(0)), 'payloadLength');
  encodeFrame({ ...header, format: 'jpeg', channels: 3 }, Uint8Array.of(0xff, 0xd8, 0xff, 0xd9));
});

test('peekFrameIds addresses a broken frame to its job', () => {
  const bytes = encodeFrame(header, payloadFor(header));
  assert.deepEqual(peekFrameIds(bytes.subarray(0, bytes.length - 3)), { frameId: 42, jobId: 'job-1' });
  assert.deepEqual(peekFrameIds(bytes.subarray(0, 34)), { frameId: 42 });
  assert.deepEqual(peekFrameIds(Uint8Array.of(1, 2, 3)), {});
  const badMagic = bytes.slice();
  badMagic[0] = 0;
  assert.deepEqual(peekFrameIds(badMagic), {});
});

test('encodeFrameParts is encodeFrame without the payload copy, with the same checks', () => {
  const payload = payloadFor(header);
  const parts = encodeFrameParts(header, payload);
  assert.equal(parts.payload, payload, 'the payload is passed through, not copied');
  assert.deepEqual([...parts.head, ...parts.payload], [...encodeFrame(header, payload)]);
  const head = decodeFrameHeader(parts.head);
  assert.deepEqual(head.header, header);
  assert.equal(head.headerLength, parts.head.length);
  assert.equal(head.payloadLength, payload.length);
  frameInvalid(() => encodeFrameParts(header, payload.subarray(1)), 'payloadLength');
  frameInvalid(() => encodeFrameParts({ ...header, format: 'png', channels: 4 }, payload), 'payload');
  frameInvalid(() => decodeFrameHeader(parts.head.subarray(0, 20)), 'header');
});
