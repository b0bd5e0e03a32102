import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AVX2_TWO_PI, avx2Log, avx2SinCos, fmaf } from './avx2-math.js';

const f = Math.fround;

test('fmaf rounds once, unlike a float multiply followed by a float add', () => {
  // 0.1f * 10 is 1 + 1.49e-8 exactly; the separate multiply rounds that to 1 and loses it.
  assert.equal(fmaf(f(0.1), 10, -1), f(f(0.1) * 10 - 1));
  assert.ok(fmaf(f(0.1), 10, -1) > 0);
  assert.equal(f(f(f(0.1) * 10) - 1), 0);
});

test('fmaf settles sums that double rounding would put on a float midpoint', () => {
  // a·b = 2^-24 - 2^-70, c = 1 + 2^-23: the exact sum lies just below the midpoint
  // 1 + 2^-23 + 2^-24, so the correct result is c. In double the sum rounds onto the midpoint and
  // a naive fround then goes to the even neighbour 1 + 2^-22.
  const a = 2 ** -12 * (1 + 2 ** -23);
  const b = 2 ** -12 * (1 - 2 ** -23);
  const c = 1 + 2 ** -23;
  assert.equal(f(a * b + c), 1 + 2 ** -22, 'the naive result is wrong here');
  assert.equal(fmaf(a, b, c), c);
  assert.equal(fmaf(-a, b, -c), -c);
  // Just above a midpoint: (2^23 + 2896)(2^23 - 2895) = 2^46 + 4688, so 1 + a·b exceeds the
  // midpoint 1 + 2^-24 by 4688·2^-70; double rounding lands on it and ties to 1, fmaf must not.
  const above = (2 ** 23 + 2896) * 2 ** -23;
  const below = (2 ** 23 - 2895) * 2 ** -47;
  assert.equal(f(above * below + 1), 1, 'the naive result is wrong here');
  assert.equal(fmaf(above, below, 1), 1 + 2 ** -23);
});

test('avx2Log tracks log within float precision on the inputs the kernel uses (n·2^-24)', () => {
  for (const fused of [false, true]) {
    assert.equal(avx2Log(1, fused), 0);
    for (let n = 1; n <= 2 ** 24; n = Math.floor(n * 1.37) + 1) {
      const x = n * 2 ** -24;
      const expected = Math.log(x);
      const got = avx2Log(x, fused);
      assert.equal(got, f(got), 'a float result');
      assert.ok(Math.abs(got - expected) <= 4e-7 * Math.max(1, Math.abs(expected)), `log(${x}): ${got} vs ${expected}`);
    }
  }
});

test('avx2SinCos tracks sin and cos within float precision over [0, 2π)', () => {
  const out = new Float64Array(2);
  for (const fused of [false, true]) {
    for (let k = 0; k < 4096; k++) {
      const theta = f(AVX2_TWO_PI * f(k / 4096));
      avx2SinCos(theta, fused, out);
      const [sin, cos] = [out[0] as number, out[1] as number];
      assert.ok(Math.abs(sin - Math.sin(theta)) < 3e-7, `sin(${theta}): ${sin}`);
      assert.ok(Math.abs(cos - Math.cos(theta)) < 3e-7, `cos(${theta}): ${cos}`);
      assert.equal(sin, f(sin));
      assert.equal(cos, f(cos));
    }
  }
});
