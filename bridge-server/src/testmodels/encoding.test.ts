import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromFloat16Bits, toFloat16Bits } from './float16.js';
import { encodeModel } from './onnxProto.js';
import { ProtoWriter } from './protobuf.js';
import { sdAlphasCumprod, sdTrainingSigmas, sigmaAt } from './sdSchedule.js';

test('protobuf varints, negative int64, floats and nested messages use the wire format', () => {
  assert.deepEqual([...new ProtoWriter().varint(1, 300).finish()], [0x08, 0xac, 0x02]);
  assert.deepEqual([...new ProtoWriter().varint(3, -1).finish()], [0x18, ...new Array<number>(9).fill(0xff), 0x01]);
  assert.deepEqual([...new ProtoWriter().float(2, 1).finish()], [0x15, 0x00, 0x00, 0x80, 0x3f]);
  const nested = new ProtoWriter().message(7, new ProtoWriter().string(2, 'ab')).finish();
  assert.deepEqual([...nested], [0x3a, 0x04, 0x12, 0x02, 0x61, 0x62]);
  assert.deepEqual([...new ProtoWriter().varint(1, 2 ** 40).finish()], [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
});

test('a model starts with ir_version 8 and imports opset 17', () => {
  const bytes = encodeModel({ graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [] } });
  assert.deepEqual([...bytes.subarray(0, 2)], [0x08, 0x08]);
  const opset = [0x42, 0x04, 0x0a, 0x00, 0x10, 0x11];
  const at = bytes.findIndex((_, i) => opset.every((b, j) => bytes[i + j] === b));
  assert.ok(at > 0, 'opset_import { domain: "", version: 17 } not found');
});

test('float16 conversion rounds to nearest even and handles the edges', () => {
  assert.equal(toFloat16Bits(1), 0x3c00);
  assert.equal(toFloat16Bits(-2), 0xc000);
  assert.equal(toFloat16Bits(65504), 0x7bff);
  assert.equal(toFloat16Bits(65520), 0x7c00);
  assert.equal(toFloat16Bits(2049), 0x6800);
  assert.equal(toFloat16Bits(2051), 0x6802);
  assert.equal(toFloat16Bits(2 ** -24), 0x0001);
  assert.equal(toFloat16Bits(2 ** -26), 0x0000);
  assert.equal(toFloat16Bits(Number.NaN) & 0x7c00, 0x7c00);
  for (const bits of [0x0001, 0x03ff, 0x0400, 0x3555, 0x7bff, 0xbc00, 0x8000]) assert.equal(toFloat16Bits(fromFloat16Bits(bits)), bits);
});

test('the SD training schedule matches diffusers', () => {
  const alphas = sdAlphasCumprod();
  assert.equal(alphas.length, 1000);
  assert.equal(alphas[0], Math.fround(1 - 0.00085));
  assert.ok(Math.abs((alphas[999] ?? 0) - 0.0046601) < 1e-6, `ᾱ_999 = ${alphas[999]}`);
  const sigmas = sdTrainingSigmas();
  assert.ok(Math.abs((sigmas[999] ?? 0) - 14.6146) < 1e-3, `σ_999 = ${sigmas[999]}`);
  assert.ok(Math.abs((sigmas[0] ?? 0) - 0.0292) < 1e-4, `σ_0 = ${sigmas[0]}`);
  assert.equal(sigmaAt(12), sigmas[12]);
  assert.ok(Math.abs(sigmaAt(12.5) - ((sigmas[12] ?? 0) + (sigmas[13] ?? 0)) / 2) < 1e-9);
  assert.equal(sigmaAt(5000), sigmas[999]);
});
