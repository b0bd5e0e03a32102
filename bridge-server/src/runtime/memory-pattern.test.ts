/**
 * Sessions open without onnxruntime's memory pattern by default (OpenOptions.memoryPattern): the
 * outputs must not depend on it, across runs whose shapes change (the pattern is planned per shape).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Prng } from '../testmodels/prng.js';
import { tinyVaeDecoder } from '../testmodels/tinyRandom/vae.js';
import { OnnxModel } from './onnx-model.js';

function latent(h: number, w: number, seed: number): Float32Array {
  return new Prng(seed).normals(4 * h * w, 1);
}

test('a VAE decoder gives the same pixels with and without the memory pattern, as latent sizes change', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lb-mempattern-'));
  try {
    await tinyVaeDecoder('float32', 3).write(dir, 'model.onnx');
    const file = path.join(dir, 'model.onnx');
    const lean = await OnnxModel.open(file);
    const planned = await OnnxModel.open(file, { memoryPattern: true });
    const input = lean.inputs[0]?.name ?? '';
    for (const [h, w] of [[8, 8], [16, 12], [8, 8], [16, 12]] as const) {
      const feeds = { [input]: { data: latent(h, w, h * 31 + w), dims: [1, 4, h, w] } };
      const a = Object.values(await lean.run(feeds))[0];
      const b = Object.values(await planned.run(feeds))[0];
      assert.ok(a !== undefined && b !== undefined);
      assert.deepEqual(a.dims, [1, 3, h * 8, w * 8]);
      assert.deepEqual(a.data, b.data, `${h}×${w} latent`);
      assert.ok(a.data.some((v) => v !== 0), 'the decoder produced pixels');
    }
    await lean.release();
    await planned.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
