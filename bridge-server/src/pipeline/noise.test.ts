import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TorchGenerator } from '../random/torch-generator.js';
import { A1111_NOISE_CASES } from './testing/a1111-noise-reference.js';
import { a1111InitialNoise, a1111Slerp, BatchNoise, initialNoise, lerp, slerp } from './noise.js';

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

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

test("A1111's ImageRNG.first(): variation slerp per (channel, column), seed resize, generators continue (torch reference)", () => {
  for (const c of A1111_NOISE_CASES) {
    const [ch, h, w] = c.shape;
    const shape = [c.seeds.length, ch, h, w] as const;
    const noise = BatchNoise.forSeeds(c.seeds);
    const resizeFrom = c.rh > 0 && c.rw > 0 ? { width: c.rw, height: c.rh } : undefined;
    const first = a1111InitialNoise(noise, shape, { subseeds: c.subseeds, strength: c.strength, resizeFrom });
    const label = JSON.stringify({ seeds: c.seeds, subseeds: c.subseeds, strength: c.strength, rh: c.rh, rw: c.rw });
    assert.ok(maxDiff(first, c.first) < 2e-6, `${label}: first ${maxDiff(first, c.first)}`);
    // The generators continue bit for bit (ancestral samplers draw from them).
    assert.deepEqual(Array.from(noise.randn(shape)), c.next, `${label}: next`);
  }
});

test('a1111Slerp: per-column angles differ from a whole-tensor slerp; identical inputs take the swapped lerp', () => {
  const a = new TorchGenerator(3).randn([4, 6, 8]);
  const b = new TorchGenerator(4).randn([4, 6, 8]);
  assert.ok(maxDiff(a1111Slerp(0.3, a, b, 4, 6, 8), slerp(a, b, 0.3)) > 1e-3, 'A1111 angles are per (channel, column)');
  assert.deepEqual(a1111Slerp(1, a, b, 4, 6, 8), b);
  const twice = a.map((v) => 2 * v);
  // mean cosine 1: low·val + high·(1 − val)
  const p = a1111Slerp(0.25, a, twice, 4, 6, 8);
  assert.ok(Math.abs((p[0] as number) - 1.75 * (a[0] as number)) < 1e-5);
});

test('initialNoise: the protocol variation is A1111\'s subseed: image i = ImageRNG with seed + i and variation seed + i', () => {
  const shape = [2, 4, 6, 8] as const;
  const viaProtocol = initialNoise(new BatchNoise(7, 2, 'per-image'), shape, { seedMode: 'per-image', variation: { seed: 20, strength: 0.3 } });
  for (let i = 0; i < 2; i++) {
    const alone = a1111InitialNoise(BatchNoise.forSeeds([7 + i]), [1, 4, 6, 8], { subseeds: [20 + i], strength: 0.3 });
    assert.deepEqual(viaProtocol.subarray(i * 192, (i + 1) * 192), alone);
  }
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

test("initialNoise with seedResizeFrom is A1111's ImageRNG with seed_resize_from_w/h (torch reference), with and without a variation", () => {
  for (const c of A1111_NOISE_CASES.filter((k) => k.rh > 0 && k.seeds.length === 1)) {
    const [ch, h, w] = c.shape;
    const variation = c.strength > 0 ? { seed: c.subseeds[0] as number, strength: c.strength } : undefined;
    const got = initialNoise(new BatchNoise(c.seeds[0] as number, 1, 'per-image'), [1, ch, h, w], { seedMode: 'per-image', variation, seedResizeFrom: { width: c.rw, height: c.rh } });
    assert.ok(maxDiff(got, c.first) < 2e-6, `${JSON.stringify({ seed: c.seeds, rh: c.rh, rw: c.rw })}: ${maxDiff(got, c.first)}`);
    // Different from the plain draw: the resize moved the seed's noise.
    assert.ok(maxDiff(got, new BatchNoise(c.seeds[0] as number, 1, 'per-image').randn([1, ch, h, w])) > 0.1);
  }
});
