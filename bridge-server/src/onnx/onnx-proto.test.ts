import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeModel } from './onnx-proto.js';
import { ProtoWriter } from './protobuf-writer.js';

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
