/**
 * The optimized-model cache with real onnxruntime sessions: the first open writes onnxruntime's
 * optimized graph (weights external) and a key; a later open runs the cached graph (shown by
 * swapping in a different graph under the same key); a changed source or a damaged cache rebuilds.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { buildOnnxModel, float32Bytes, OnnxDataType as T } from '../models/testing/onnx-builder.js';
import { OnnxModel } from './onnx-model.js';

const root = await mkdtemp(path.join(tmpdir(), 'lb-ortcache-'));
after(() => rm(root, { recursive: true, force: true }));
let counter = 0;

const N = 512; // 2 KiB of weights: above the 1 KiB threshold for external initializers.

/** y = (x op w) with w = [k, k, …] in weights.pb; returns the model path. */
async function writeModel(dir: string, op: 'Add' | 'Sub', k: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const w = float32Bytes(new Array<number>(N).fill(k));
  await writeFile(path.join(dir, 'weights.pb'), w);
  const file = path.join(dir, 'model.onnx');
  await writeFile(
    file,
    buildOnnxModel({
      inputs: [{ name: 'x', elemType: T.float, dims: ['batch', N] }],
      outputs: [{ name: 'y', elemType: T.float, dims: ['batch', N] }],
      nodes: [{ op, inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: [{ name: 'w', elemType: T.float, dims: [N], raw: w, external: { location: 'weights.pb', offset: 0 } }],
    }),
  );
  return file;
}

async function firstOutput(file: string, cache: string): Promise<number> {
  const model = await OnnxModel.open(file, { optimizedCache: cache });
  try {
    const out = await model.run({ x: { data: new Float32Array(N).fill(10), dims: [1, N] } });
    return (out['y']?.data as Float32Array)[0] ?? Number.NaN;
  } finally {
    await model.release();
  }
}

function fresh(): { dir: string; cache: string } {
  const dir = path.join(root, `case${counter++}`);
  return { dir: path.join(dir, 'src'), cache: path.join(dir, 'cache') };
}

test('the first open writes the optimized graph with external weights and a key; the next open runs the cached graph', async () => {
  const { dir, cache } = fresh();
  const file = await writeModel(dir, 'Add', 3);
  assert.equal(await firstOutput(file, cache), 13);
  for (const name of ['model.onnx', 'model.onnx_data', 'key.json']) assert.ok(existsSync(path.join(cache, name)), `${name} in the cache`);
  assert.ok((await stat(path.join(cache, 'model.onnx_data'))).size >= N * 4, 'weights went to the external file');
  // Same key, other graph: an open that reads the cache computes x - 3, one that ignores it x + 3.
  const other = await writeModel(path.join(root, `swap${counter++}`), 'Sub', 3);
  await copyFile(other, path.join(cache, 'model.onnx'));
  await copyFile(path.join(path.dirname(other), 'weights.pb'), path.join(cache, 'weights.pb'));
  assert.equal(await firstOutput(file, cache), 7);
});

test('a changed source (new weights, new modification time) rebuilds the cache', async () => {
  const { dir, cache } = fresh();
  const file = await writeModel(dir, 'Add', 3);
  assert.equal(await firstOutput(file, cache), 13);
  await writeModel(dir, 'Add', 5);
  const later = new Date(Date.now() + 5000);
  await utimes(path.join(dir, 'weights.pb'), later, later);
  assert.equal(await firstOutput(file, cache), 15);
  assert.equal(await firstOutput(file, cache), 15, 'and the rebuilt cache holds the new weights');
});

test('a damaged cache is rebuilt from the source, not reported as a broken model', async () => {
  const { dir, cache } = fresh();
  const file = await writeModel(dir, 'Add', 3);
  assert.equal(await firstOutput(file, cache), 13);
  await writeFile(path.join(cache, 'model.onnx'), 'not a model');
  assert.equal(await firstOutput(file, cache), 13);
  assert.ok((await stat(path.join(cache, 'model.onnx'))).size > 'not a model'.length, 'the cache was written again');
});

test('a broken source still fails as model_invalid and leaves no cache behind', async () => {
  const { dir, cache } = fresh();
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'model.onnx');
  await writeFile(file, 'garbage');
  await assert.rejects(OnnxModel.open(file, { optimizedCache: cache }), (e: unknown) => (e as { code?: string }).code === 'model_invalid');
  assert.equal(existsSync(cache), false);
});
