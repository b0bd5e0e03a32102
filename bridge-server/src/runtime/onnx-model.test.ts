import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { OnnxModel } from './onnx-model.js';
import { float32ToFloat16Bits } from '../numeric/float16.js';
import { buildOnnxModel, float32Bytes, OnnxDataType as T, type GraphSpec } from '../models/testing/onnx-builder.js';

let root = '';
let counter = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lb-runtime-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeModel(spec: GraphSpec, folder = `m${counter++}`): Promise<string> {
  const dir = path.join(root, folder);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'model.onnx');
  await writeFile(file, buildOnnxModel(spec));
  return file;
}

async function rejectsWith(p: Promise<unknown>, code: string, check?: (e: BridgeError) => void): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof BridgeError, `expected BridgeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    check?.(e);
    return true;
  });
}

/** y = x + w with w stored in an external file, 16 bytes into it. */
async function externalWeightsModel(fileName: string): Promise<string> {
  const dir = path.join(root, `ext-${fileName}`);
  await mkdir(dir, { recursive: true });
  const w = float32Bytes([1, 2, 3, 4]);
  await writeFile(path.join(dir, fileName), Buffer.concat([new Uint8Array(16), w]));
  await writeFile(
    path.join(dir, 'model.onnx'),
    buildOnnxModel({
      inputs: [{ name: 'x', elemType: T.float, dims: ['batch', 4] }],
      outputs: [{ name: 'y', elemType: T.float, dims: ['batch', 4] }],
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: [{ name: 'w', elemType: T.float, dims: [4], raw: w, external: { location: fileName, offset: 16 } }],
    }),
  );
  return path.join(dir, 'model.onnx');
}

for (const name of ['weights.pb', 'model.onnx_data', 'model.onnx.data']) {
  test(`opens a model whose weights live in ${name}`, async () => {
    const model = await OnnxModel.open(await externalWeightsModel(name));
    try {
      assert.deepEqual(model.inputs, [{ name: 'x', dtype: 'float32', dims: ['batch', 4] }]);
      assert.deepEqual(model.outputs, [{ name: 'y', dtype: 'float32', dims: ['batch', 4] }]);
      const out = await model.run({ x: { data: new Float32Array([10, 20, 30, 40, 0, 0, 0, 0]), dims: [2, 4] } });
      assert.deepEqual([...(out['y']?.data ?? [])], [11, 22, 33, 44, 1, 2, 3, 4]);
      assert.deepEqual(out['y']?.dims, [2, 4]);
    } finally {
      await model.release();
    }
  });
}

for (const [label, elemType] of [
  ['int32', T.int32],
  ['int64', T.int64],
] as const) {
  test(`input_ids given as Int32Array reach an ${label} input intact`, async () => {
    const file = await writeModel({
      inputs: [{ name: 'input_ids', elemType, dims: ['batch', 'sequence'] }],
      outputs: [{ name: 'ids_f', elemType: T.float, dims: ['batch', 'sequence'] }],
      nodes: [{ op: 'Cast', inputs: ['input_ids'], outputs: ['ids_f'], intAttrs: { to: T.float } }],
    });
    const model = await OnnxModel.open(file, { label: 'text_encoder' });
    const ids = new Int32Array([49406, 320, 1125, 49407]);
    const out = await model.run({ input_ids: { data: ids, dims: [1, 4] } });
    assert.deepEqual([...(out['ids_f']?.data ?? [])], [49406, 320, 1125, 49407]);
    await model.release();
  });
}

/** A UNet stand-in: passes sample through and returns the timestep it received as float32. */
function timestepModel(tsType: number, tsDims: Array<number | string>): GraphSpec {
  return {
    inputs: [
      { name: 'sample', elemType: T.float, dims: ['batch', 4, 2, 2] },
      { name: 'timestep', elemType: tsType, dims: tsDims },
    ],
    outputs: [
      { name: 'out_sample', elemType: T.float },
      { name: 't', elemType: T.float },
    ],
    nodes: [
      { op: 'Identity', inputs: ['sample'], outputs: ['out_sample'] },
      { op: 'Cast', inputs: ['timestep'], outputs: ['t'], intAttrs: { to: T.float } },
    ],
  };
}

const timestepCases: Array<{ type: string; elem: number; dims: Array<number | string>; expectDims: number[] }> = [
  { type: 'int64', elem: T.int64, dims: [1], expectDims: [1] },
  { type: 'int64', elem: T.int64, dims: [], expectDims: [] },
  { type: 'int64', elem: T.int64, dims: ['batch'], expectDims: [2] },
  { type: 'float32', elem: T.float, dims: [1], expectDims: [1] },
  { type: 'float32', elem: T.float, dims: ['batch'], expectDims: [2] },
  { type: 'float16', elem: T.float16, dims: [1], expectDims: [1] },
  { type: 'float16', elem: T.float16, dims: ['batch'], expectDims: [2] },
  { type: 'float16', elem: T.float16, dims: [], expectDims: [] },
];

for (const c of timestepCases) {
  test(`timestep as number and Float32Array -> ${c.type} [${c.dims.join(',')}]`, async () => {
    const model = await OnnxModel.open(await writeModel(timestepModel(c.elem, c.dims)), { label: 'unet' });
    const sample = { data: new Float32Array(2 * 16).fill(0.25), dims: [2, 4, 2, 2] };
    // Integer timesteps truncate like numpy's astype (981.5 -> 981); 981.5 is exact in float16.
    const expected = c.type === 'int64' ? 981 : 981.5;
    for (const timestep of [981.5, { data: new Float32Array([981.5]), dims: [1] }]) {
      const out = await model.run({ sample, timestep });
      assert.deepEqual(out['t']?.dims, c.expectDims);
      const count = c.expectDims[0] ?? 1;
      assert.deepEqual([...(out['t']?.data ?? [])], new Array<number>(count).fill(expected));
      assert.equal(out['out_sample']?.data.length, 32);
    }
    await model.release();
  });
}

test('an fp16 graph takes float32 and returns float32', async () => {
  const file = await writeModel({
    inputs: [{ name: 'x', elemType: T.float16, dims: [1, 5] }],
    outputs: [{ name: 'y', elemType: T.float16, dims: [1, 5] }],
    nodes: [{ op: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
  });
  const model = await OnnxModel.open(file);
  assert.equal(model.input('x')?.dtype, 'float16');
  const out = await model.run({ x: { data: new Float32Array([0.5, -2, 3.25, 65504, 2 ** -24]), dims: [1, 5] } });
  assert.equal(out['y']?.dtype, 'float32');
  assert.ok(out['y']?.data instanceof Float32Array);
  assert.deepEqual([...(out['y']?.data ?? [])], [1, -4, 6.5, Infinity, 2 ** -23]);
  // Raw half bits are accepted as well.
  const bits = new Uint16Array([float32ToFloat16Bits(1.5), 0, 0, 0, 0]);
  const out2 = await model.run({ x: { data: bits, dims: [1, 5] } });
  assert.equal(out2['y']?.data[0], 3);
  await model.release();
});

test('an input declared without a shape takes any shape', async () => {
  const file = await writeModel({
    inputs: [{ name: 'x', elemType: T.float }],
    outputs: [{ name: 'y', elemType: T.float }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
  const model = await OnnxModel.open(file);
  assert.deepEqual(model.input('x')?.dims, []);
  const out = await model.run({ x: { data: new Float32Array([1, 2, 3, 4, 5, 6]), dims: [2, 3] } });
  assert.deepEqual(out['y']?.dims, [2, 3]);
  await model.release();
});

test('tensor_mismatch names the model, the input, and both types and shapes', async () => {
  const file = await writeModel({
    inputs: [
      { name: 'sample', elemType: T.float16, dims: ['batch', 4, 'height', 'width'] },
      { name: 'timestep', elemType: T.int64, dims: [1] },
    ],
    outputs: [{ name: 'out_sample', elemType: T.float16 }],
    nodes: [{ op: 'Identity', inputs: ['sample'], outputs: ['out_sample'] }],
  });
  const model = await OnnxModel.open(file, { label: 'unet' });
  const bad = { data: new Float32Array(3 * 64 * 64), dims: [1, 3, 64, 64] };
  await rejectsWith(model.run({ sample: bad, timestep: 1 }), 'tensor_mismatch', (e) => {
    assert.equal(e.message, 'unet input "sample": expected float16 [batch,4,height,width], got float32 [1,3,64,64]');
    assert.equal(e.field, 'sample');
  });
  const good = { data: new Float32Array(4 * 4), dims: [1, 4, 2, 2] };
  await rejectsWith(model.run({ sample: good }), 'tensor_mismatch', (e) => {
    assert.match(e.message, /unet input "timestep": missing \(expected int64 \[1\]\)/);
    assert.equal(e.field, 'timestep');
  });
  await rejectsWith(model.run({ sample: good, timestep: 1, guidance: 7 }), 'tensor_mismatch', (e) => {
    assert.match(e.message, /unknown input "guidance"/);
    assert.equal(e.field, 'guidance');
  });
  await rejectsWith(model.run({ sample: good, timestep: { data: new Int32Array([1, 2]), dims: [2] } }), 'tensor_mismatch');
  await rejectsWith(model.run({ sample: { data: new Float32Array(3), dims: [1, 4, 2, 2] }, timestep: 1 }), 'tensor_mismatch');
  assert.equal(model.stats.runs, 0);
  await model.release();
});

test('onnxruntime run errors become inference_failed; stats count successful runs', async () => {
  const file = await writeModel({
    inputs: [
      { name: 'a', elemType: T.float, dims: ['n'] },
      { name: 'b', elemType: T.float, dims: ['m'] },
    ],
    outputs: [{ name: 'c', elemType: T.float }],
    nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['c'] }],
  });
  const model = await OnnxModel.open(file, { label: 'adder', threads: 1 });
  await model.run({ a: { data: new Float32Array(3), dims: [3] }, b: { data: new Float32Array(3), dims: [3] } });
  await rejectsWith(
    model.run({ a: { data: new Float32Array(3), dims: [3] }, b: { data: new Float32Array(2), dims: [2] } }),
    'inference_failed',
    (e) => assert.match(e.message, /^adder: onnxruntime run failed/),
  );
  assert.equal(model.stats.runs, 1);
  assert.ok(model.stats.totalMs > 0);
  model.resetStats();
  assert.deepEqual(model.stats, { runs: 0, totalMs: 0 });
  await model.release();
  await rejectsWith(model.run({}), 'inference_failed');
});

test('providers that are not installed give execution_provider_unavailable', async (t) => {
  const file = await externalWeightsModel('weights.pb');
  await rejectsWith(OnnxModel.open(file, { threads: 0 }), 'invalid_field');
  await rejectsWith(OnnxModel.open(file, { provider: 'tpu' as 'cpu' }), 'invalid_field');
  const cuda = await OnnxModel.open(file, { provider: 'cuda' }).catch((e: unknown) => e);
  if (cuda instanceof OnnxModel) {
    await cuda.release();
    t.skip('the CUDA provider is installed on this machine');
    return;
  }
  await rejectsWith(OnnxModel.open(file, { provider: 'cuda' }), 'execution_provider_unavailable', (e) => {
    assert.match(e.message, /"cuda"/);
    assert.match(e.message, /--onnxruntime-node-install=cuda12/);
  });
  const other = process.platform === 'win32' ? 'coreml' : 'dml';
  await rejectsWith(OnnxModel.open(file, { provider: other }), 'execution_provider_unavailable');
});

test('missing, corrupt and incomplete model files', async () => {
  const missing = path.join(root, 'nope', 'model.onnx');
  await rejectsWith(OnnxModel.open(missing), 'model_load_failed', (e) => assert.equal(e.field, missing));

  const garbage = path.join(root, 'garbage.onnx');
  await writeFile(garbage, 'this is not a protobuf at all');
  await rejectsWith(OnnxModel.open(garbage), 'model_invalid', (e) => assert.equal(e.field, garbage));

  const file = await externalWeightsModel('model.onnx_data');
  await rm(path.join(path.dirname(file), 'model.onnx_data'));
  await rejectsWith(OnnxModel.open(file), 'model_invalid', (e) =>
    assert.equal(e.field, path.join(path.dirname(file), 'model.onnx_data')),
  );
  await writeFile(path.join(path.dirname(file), 'model.onnx_data'), new Uint8Array(20));
  await rejectsWith(OnnxModel.open(file), 'model_invalid', (e) => assert.equal(e.field, file));
});
