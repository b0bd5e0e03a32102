import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TorchGenerator } from '../random/torch-generator.js';
import { BatchNoise, initialNoise, lerp, slerp, slerpPerImage } from './noise.js';

const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

test('slerp: exact ends, norm kept mid-way where lerp shrinks it', () => {
  const a = new TorchGenerator(1).randn([4096]);
  const b = new TorchGenerator(2).randn([4096]);
  assert.deepEqual(slerp(a, b, 0), a);
  assert.deepEqual(slerp(a, b, 1), b);
  const mid = slerp(a, b, 0.5);
  assert.ok(Math.abs(norm(mid) / Math.sqrt(norm(a) * norm(b)) - 1) < 0.01, `slerp norm ${norm(mid)}`);
  assert.ok(norm(lerp(a, b, 0.5)) < 0.8 * norm(a), 'lerp of independent noise shrinks towards 1/√2');
  // Parallel inputs fall back to lerp instead of dividing by sin(0).
  const twice = a.map((v) => 2 * v);
  const p = slerp(a, twice, 0.5);
  assert.ok(Math.abs((p[0] as number) - 1.5 * (a[0] as number)) < 1e-5);
  assert.ok(p.every(Number.isFinite));
});

test('slerpPerImage interpolates each image on its own', () => {
  const a = new TorchGenerator(3).randn([2, 64]);
  const b = new TorchGenerator(4).randn([2, 64]);
  const both = slerpPerImage(a, b, 0.3, 2);
  assert.deepEqual(both.subarray(64), slerp(a.subarray(64), b.subarray(64), 0.3));
});

test('initialNoise: no variation is the plain draw; a variation keeps later draws on the main seed', () => {
  const shape = [2, 4, 2, 2] as const;
  const plain = new BatchNoise(7, 2, 'per-image').randn(shape);
  assert.deepEqual(initialNoise(new BatchNoise(7, 2, 'per-image'), shape, { seedMode: 'per-image' }), plain);
  const full = new BatchNoise(7, 2, 'per-image');
  assert.deepEqual(initialNoise(full, shape, { seedMode: 'per-image', variation: { seed: 20, strength: 1 } }), new BatchNoise(20, 2, 'per-image').randn(shape));
  const main = new BatchNoise(7, 2, 'per-image');
  main.randn(shape);
  assert.deepEqual(full.randn([2, 3]), main.randn([2, 3]));
});
