import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readOnnxOutline } from './onnx-reader.js';
import { ProtobufError } from './protobuf-reader.js';
import { buildOnnxModel, float32Bytes, OnnxDataType as T } from './testing/onnx-builder.js';

let root = '';
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lb-onnx-reader-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('outline lists inputs, outputs and external data, skipping weights', async () => {
  // A 300 KB inline initializer makes the reader step over a payload larger than its window.
  const big = new Uint8Array(300 * 1024).fill(7);
  const bytes = buildOnnxModel({
    inputs: [
      { name: 'sample', elemType: T.float16, dims: ['batch', 4, 64, 64] },
      { name: 'timestep', elemType: T.int64, dims: [] },
      { name: 'untyped', elemType: T.float },
      // Old exporters list initializers among the graph inputs; they are not real inputs.
      { name: 'inline_w', elemType: T.uint8, dims: [big.length] },
    ],
    outputs: [{ name: 'out_sample', elemType: T.float16, dims: ['batch', 4, 64, 64] }],
    nodes: [{ op: 'Identity', inputs: ['sample'], outputs: ['out_sample'] }],
    initializers: [
      { name: 'inline_w', elemType: T.uint8, dims: [big.length], raw: big },
      { name: 'ext_a', elemType: T.float, dims: [2, 3], raw: float32Bytes([1, 2, 3, 4, 5, 6]), external: { location: 'weights.pb', offset: 0 } },
      { name: 'ext_b', elemType: T.float16, dims: [4], raw: new Uint8Array(8), external: { location: 'weights.pb', offset: 24, length: 8 } },
    ],
  });
  const file = path.join(root, 'outline.onnx');
  await writeFile(file, bytes);
  const outline = await readOnnxOutline(file);
  assert.equal(outline.irVersion, 8);
  assert.equal(outline.producer, 'latent-bridge-tests');
  assert.deepEqual(outline.opsets, [{ domain: '', version: 17 }]);
  assert.deepEqual(outline.inputs, [
    { name: 'sample', dtype: 'float16', dims: ['batch', 4, 64, 64] },
    { name: 'timestep', dtype: 'int64', dims: [] },
    { name: 'untyped', dtype: 'float32', dims: undefined },
  ]);
  assert.deepEqual(outline.outputs, [{ name: 'out_sample', dtype: 'float16', dims: ['batch', 4, 64, 64] }]);
  assert.equal(outline.nodeCount, 1);
  assert.equal(outline.initializerCount, 3);
  assert.deepEqual(outline.externalData, [
    { tensor: 'ext_a', location: 'weights.pb', offset: 0, length: 24 },
    { tensor: 'ext_b', location: 'weights.pb', offset: 24, length: 8 },
  ]);
});

test('non-ONNX and damaged files throw ProtobufError', async () => {
  const valid = buildOnnxModel({
    inputs: [{ name: 'x', elemType: T.float, dims: [1] }],
    outputs: [{ name: 'y', elemType: T.float, dims: [1] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
  const cases: Array<[string, Uint8Array | string, RegExp]> = [
    ['empty', new Uint8Array(0), /empty/],
    ['truncated', valid.subarray(0, valid.length - 10), /runs past|truncated/],
    ['text', '<html>Entry not found</html>', /wire type|runs past|invalid field/],
    ['lfs', 'version https://git-lfs.github.com/spec/v1\n', /Git LFS pointer/],
    ['json', '{"not": "onnx"}', /wire type|runs past|invalid field|no graph/],
  ];
  for (const [name, content, message] of cases) {
    const file = path.join(root, `${name}.onnx`);
    await writeFile(file, content);
    await assert.rejects(readOnnxOutline(file), (e: unknown) => {
      assert.ok(e instanceof ProtobufError, `${name}: ${String(e)}`);
      assert.match(e.message, message, name);
      return true;
    });
  }
});
