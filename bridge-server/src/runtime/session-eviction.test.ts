/**
 * OnnxModel.evict(): the native session closes (its arena with it) and the model reopens on the
 * next run or warm(), giving the same outputs; a run in flight finishes first; release is final.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { Prng } from '../testmodels/prng.js';
import { tinyVaeDecoder } from '../testmodels/tinyRandom/vae.js';
import { OnnxModel } from './onnx-model.js';

function latent(h: number, w: number, seed: number): Float32Array {
  return new Prng(seed).normals(4 * h * w, 1);
}

async function withDecoder(body: (file: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lb-evict-'));
  try {
    await tinyVaeDecoder('float32', 5).write(dir, 'model.onnx');
    await body(path.join(dir, 'model.onnx'), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function decode(model: OnnxModel, h: number, w: number): Promise<Float32Array> {
  const out = Object.values(await model.run({ [model.inputs[0]?.name ?? '']: { data: latent(h, w, h + w), dims: [1, 4, h, w] } }))[0];
  assert.ok(out !== undefined && out.data instanceof Float32Array);
  return out.data;
}

function rssMb(): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m?.[1] === undefined ? process.memoryUsage.rss() / 1048576 : Number(m[1]) / 1024;
}

test('an evicted model reopens on its next run and gives the same outputs', async () => {
  await withDecoder(async (file) => {
    const model = await OnnxModel.open(file, { threads: 1 });
    const first = await decode(model, 8, 12);
    assert.equal(model.resident, true);
    await model.evict();
    assert.equal(model.resident, false);
    assert.deepEqual(await decode(model, 8, 12), first);
    assert.equal(model.resident, true);
    await model.evict();
    await model.warm();
    assert.equal(model.resident, true);
    assert.deepEqual(await decode(model, 8, 12), first);
    await model.release();
  });
});

test('eviction waits for a run in flight, and a run started meanwhile keeps the session until it ends', async () => {
  await withDecoder(async (file) => {
    const model = await OnnxModel.open(file, { threads: 1 });
    const expected = await decode(model, 16, 16);
    const running = decode(model, 16, 16);
    const evicted = model.evict();
    const second = decode(model, 16, 16);
    assert.deepEqual(await running, expected);
    assert.deepEqual(await second, expected);
    await evicted;
    assert.equal(model.resident, false, 'closed once the last run ended');
    await model.release();
  });
});

test('an evicted model reopens from its optimized-graph cache', async () => {
  await withDecoder(async (file, dir) => {
    const cache = path.join(dir, 'cache');
    const model = await OnnxModel.open(file, { threads: 1, optimizedCache: cache });
    const first = await decode(model, 8, 8);
    const written = await readdir(cache);
    assert.ok(written.length > 0, 'the first open wrote the cache');
    await model.evict();
    assert.deepEqual(await decode(model, 8, 8), first);
    assert.deepEqual(await readdir(cache), written);
    await model.release();
  });
});

test('release is final: runs and warm-ups after it fail with inference_failed', async () => {
  await withDecoder(async (file) => {
    const model = await OnnxModel.open(file, { threads: 1 });
    await model.evict();
    await model.release();
    assert.equal(model.resident, false);
    await assert.rejects(decode(model, 8, 8), (err: unknown) => err instanceof BridgeError && err.code === 'inference_failed' && /released/.test(err.message));
    await assert.rejects(model.warm(), (err: unknown) => err instanceof BridgeError && err.code === 'inference_failed');
  });
});

test('eviction gives back the memory a large run left in the session', { skip: process.platform !== 'linux' && 'reads /proc/self/status' }, async () => {
  await withDecoder(async (file) => {
    const model = await OnnxModel.open(file, { threads: 2 });
    await decode(model, 8, 8);
    const before = rssMb();
    // A 1024² decode: the full-resolution level alone is 8 channels × 4 MiB per tensor.
    await decode(model, 128, 128);
    const grown = rssMb() - before;
    await model.evict();
    const left = rssMb() - before;
    assert.ok(grown > 64, `the run grew the process by ${grown.toFixed(0)} MiB`);
    assert.ok(left < grown / 3, `after eviction ${left.toFixed(0)} MiB of the ${grown.toFixed(0)} MiB remain`);
    await model.release();
  });
});
