/**
 * How the stream continues across calls, derived from torch's sources rather than printouts:
 *  - a float32 randn of n >= 16 takes n 32-bit draws, plus 16 when n % 16 != 0 (the redrawn tail),
 *    and neither reads nor writes the cached normal;
 *  - a randn of n < 16 draws pairs of random64() and caches the second Box-Muller value, which the
 *    next small call returns first (so small calls split anywhere equal one call);
 *  - rand takes one draw per element.
 * Plus seeds, validation, clone/state round trips, statistics and speed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import type { NormalKernel } from './torch-distributions.js';
import { TorchGenerator } from './torch-generator.js';

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function isBridgeError(code: string, field: string): (err: unknown) => boolean {
  return (err) => err instanceof BridgeError && err.code === code && err.field === field;
}

test('small calls split anywhere equal one call: the cached value carries over', () => {
  const whole = new TorchGenerator(7).randn([15]);
  for (const sizes of [[3, 3, 9], [1, 1, 1, 12], [5, 4, 6], [15]]) {
    const gen = new TorchGenerator(7);
    assert.deepEqual(concat(sizes.map((n) => gen.randn([n]))), whole, `split ${sizes.join('+')}`);
  }
});

test('a large call between small ones leaves the cache alone', () => {
  const reference = new TorchGenerator(3).randn([4]);
  const gen = new TorchGenerator(3);
  const first = gen.randn([3]); // caches the value that randn(4) puts at index 3
  gen.randn([20]);
  assert.deepEqual(first, reference.subarray(0, 3));
  assert.equal(gen.randn([1])[0], reference[3]);
});

test('a large call takes n draws, plus 16 when n is not a multiple of 16', () => {
  for (const [n, draws] of [[16, 16], [17, 33], [20, 36], [32, 32], [47, 63], [48, 48]] as const) {
    const gen = new TorchGenerator(11);
    gen.randn([n]);
    const probe = new TorchGenerator(11);
    probe.rand([draws]);
    assert.deepEqual(gen.rand([5]), probe.rand([5]), `n = ${n}`);
  }
});

test('a small call takes four draws per Box-Muller pair and none when the cache serves it', () => {
  const gen = new TorchGenerator(12);
  gen.randn([1]); // one pair: four 32-bit draws, the sine is cached
  gen.randn([1]); // served from the cache
  const probe = new TorchGenerator(12);
  probe.rand([4]);
  assert.deepEqual(gen.rand([3]), probe.rand([3]));
});

test('the redrawn tail overwrites only the last 16 slots', () => {
  const block = new TorchGenerator(21).randn([16]);
  const longer = new TorchGenerator(21).randn([17]);
  assert.equal(longer[0], block[0]);
  assert.notEqual(longer[1], block[1]);
});

test('empty shapes draw nothing; shape [] is one element', () => {
  const gen = new TorchGenerator(4);
  assert.equal(gen.randn([0]).length, 0);
  assert.equal(gen.randn([3, 0, 2]).length, 0);
  assert.equal(gen.rand([0]).length, 0);
  const scalar = gen.randn([]);
  assert.equal(scalar.length, 1);
  assert.equal(scalar[0], new TorchGenerator(4).randn([1])[0]);
});

test('a realistic mix (latents, then ancestral noise and small draws) is reproducible and clonable', () => {
  const run = (gen: TorchGenerator): Float32Array[] => [
    gen.randn([1, 4, 16, 16]),
    gen.randn([3]),
    gen.randn([1, 4, 16, 16]),
    gen.randn([5]),
    gen.randn([1, 4, 8, 9]),
    gen.randn([1]),
  ];
  const a = run(new TorchGenerator(2024));
  const b = run(new TorchGenerator(2024));
  assert.deepEqual(a, b);
  const gen = new TorchGenerator(2024);
  const head = [gen.randn([1, 4, 16, 16]), gen.randn([3])];
  const copy = gen.clone();
  const tail = [gen.randn([1, 4, 16, 16]), gen.randn([5]), gen.randn([1, 4, 8, 9]), gen.randn([1])];
  assert.deepEqual([...head, ...tail], a);
  // The clone carries the cached value and is unaffected by the original's later draws.
  assert.deepEqual([copy.randn([1, 4, 16, 16]), copy.randn([5]), copy.randn([1, 4, 8, 9]), copy.randn([1])], tail);
});

test('getState/fromState resume exactly, cache included; clone keeps seed label and kernel', () => {
  const gen = new TorchGenerator(-5, { kernel: 'scalar' });
  gen.randn([7]); // leaves a cached value
  const state = gen.getState();
  assert.notEqual(state.nextDoubleNormal, null);
  const restored = TorchGenerator.fromState(state, { kernel: 'scalar' });
  const copy = gen.clone();
  assert.equal(copy.seed, -5);
  assert.equal(copy.kernel, 'scalar');
  assert.equal(restored.seed, 2n ** 64n - 5n);
  const expected = [gen.randn([3]), gen.randn([40])];
  assert.deepEqual([restored.randn([3]), restored.randn([40])], expected);
  assert.deepEqual([copy.randn([3]), copy.randn([40])], expected);
});

test('fromState checks the seed label and the engine state', () => {
  const state = new TorchGenerator(9).getState();
  assert.equal(TorchGenerator.fromState(state, { seed: 9 }).seed, 9);
  assert.throws(() => TorchGenerator.fromState(state, { seed: 2 ** 32 + 9 }), isBridgeError('invalid_field', 'seed'));
  assert.throws(() => TorchGenerator.fromState({ ...state, initialSeed: 10n }, { seed: 9 }), isBridgeError('invalid_field', 'seed'));
  assert.throws(
    () => TorchGenerator.fromState({ ...state, engine: { ...state.engine, left: 0 } }),
    isBridgeError('invalid_field', 'state'),
  );
});

test('seeds: only the low 32 bits reach the engine; negative seeds wrap like manual_seed', () => {
  const draw = (seed: number | bigint): Float32Array => new TorchGenerator(seed).randn([20]);
  assert.deepEqual(draw(-1), draw(0xffffffff));
  assert.deepEqual(draw(-1), draw(2n ** 64n - 1n));
  assert.deepEqual(draw(2 ** 32 + 5), draw(5));
  assert.deepEqual(draw(5n), draw(5));
  assert.notDeepEqual(draw(5), draw(6));
  assert.equal(new TorchGenerator(-1).initialSeed, 2n ** 64n - 1n);
  assert.equal(new TorchGenerator(2 ** 32 + 5).initialSeed, 2n ** 32n + 5n);
  assert.equal(new TorchGenerator(-(2n ** 63n)).initialSeed, 2n ** 63n);
  assert.equal(new TorchGenerator(2 ** 32 + 5).seed, 2 ** 32 + 5);
});

test('invalid seeds, shapes and kernels are refused with catalogued errors', () => {
  for (const seed of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2n ** 64n, -(2n ** 63n) - 1n]) {
    assert.throws(() => new TorchGenerator(seed), isBridgeError('invalid_field', 'seed'), String(seed));
  }
  const gen = new TorchGenerator(0);
  for (const shape of [[-1], [2.5], [Number.NaN], [4, -2]]) {
    assert.throws(() => gen.randn(shape), isBridgeError('invalid_field', 'shape'), JSON.stringify(shape));
  }
  assert.throws(() => gen.randn([1 << 20, 1 << 20]), isBridgeError('limit_exceeded', 'shape'));
  assert.throws(() => gen.rand([2 ** 29]), isBridgeError('limit_exceeded', 'shape'));
  assert.throws(() => new TorchGenerator(0, { kernel: 'neon' as NormalKernel }), isBridgeError('invalid_field', 'kernel'));
});

test('statistics over 1e5 samples: mean ~ 0, std ~ 1 (both paths); rand mean ~ 1/2', () => {
  const moments = (values: ArrayLike<number>): { mean: number; std: number } => {
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      sum += v;
      sumSq += v * v;
    }
    const mean = sum / values.length;
    return { mean, std: Math.sqrt(sumSq / values.length - mean * mean) };
  };
  // Tolerances are about 6 standard errors: 6/sqrt(1e5) ~ 0.019 for the mean.
  for (const kernel of ['avx2-fma', 'avx2', 'scalar'] as const) {
    const big = moments(new TorchGenerator(31337, { kernel }).randn([100_000]));
    assert.ok(Math.abs(big.mean) < 0.02 && Math.abs(big.std - 1) < 0.015, `${kernel}: ${JSON.stringify(big)}`);
  }
  const gen = new TorchGenerator(4242);
  const small = moments(concat(Array.from({ length: 20_000 }, () => gen.randn([5]))));
  assert.ok(Math.abs(small.mean) < 0.02 && Math.abs(small.std - 1) < 0.015, `scalar path: ${JSON.stringify(small)}`);
  const uniform = moments(new TorchGenerator(99).rand([100_000]));
  assert.ok(Math.abs(uniform.mean - 0.5) < 0.006 && Math.abs(uniform.std - Math.sqrt(1 / 12)) < 0.005);
});

test('speed: latents for 2x4x128x128 take milliseconds, not seconds', () => {
  const gen = new TorchGenerator(1);
  gen.randn([2, 4, 128, 128]); // warm-up for the JIT
  const start = performance.now();
  gen.randn([2, 4, 128, 128]);
  const elapsed = performance.now() - start;
  // About 15 ms on a shared 2-core machine; the bound only catches a pathological slowdown.
  assert.ok(elapsed < 1000, `${elapsed.toFixed(1)} ms`);
});
