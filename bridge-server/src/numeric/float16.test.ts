import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  float32ToFloat16Bits,
} from './float16.js';

const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

test('known float32 -> float16 bit patterns', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite half
    [65519, 0x7bff], // below the midpoint to 65536: stays finite
    [65520, 0x7c00], // midpoint, ties to even -> rounds up into Inf
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exact half of the smallest subnormal: ties to even (0)
    [2 ** -25 * 1.5, 0x0001], // above the midpoint
    [3 * 2 ** -25, 0x0002], // 1.5 ulp: ties to even (2)
    [1023.5 * 2 ** -24, 0x0400], // rounds up from subnormal into the smallest normal
    [1 + 2 ** -11, 0x3c00], // tie between 1 and the next half: even is 1
    [1 + 3 * 2 ** -11, 0x3c02], // tie: even is 1 + 2^-9
    [1e-10, 0x0000],
    [-1e-10, 0x8000],
  ];
  for (const [value, bits] of cases) {
    assert.equal(hex(float32ToFloat16Bits(value)), hex(bits), `value ${value}`);
  }
});

test('NaN stays NaN in both directions', () => {
  const bits = float32ToFloat16Bits(NaN);
  assert.equal(bits & 0x7c00, 0x7c00);
  assert.notEqual(bits & 0x3ff, 0);
  assert.ok(Number.isNaN(float16BitsToFloat32(bits)));
  assert.ok(Number.isNaN(float16BitsToFloat32(0x7c01)));
});

test('every half round-trips through float32 bit-exactly', () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const floats = float16ArrayToFloat32(all);
  const back = float32ArrayToFloat16(floats);
  for (let i = 0; i < 65536; i++) {
    const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
    if (isNaN) assert.ok(Number.isNaN(floats[i]));
    else assert.equal(back[i], i, `bits ${hex(i)}`);
  }
});

test('float32 -> float16 picks the nearest half for random values', () => {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let k = 0; k < 20000; k++) {
    const x = Math.fround((rand() - 0.5) * 2 ** (rand() * 40 - 26));
    const h = float32ToFloat16Bits(x);
    const err = Math.abs(float16BitsToFloat32(h) - x);
    for (const neighbour of [h - 1, h + 1]) {
      // Stay within the same sign half of the bit space; across ±0 the distance is not ordered.
      if ((neighbour & 0x8000) !== (h & 0x8000) || (neighbour & 0x7fff) >= 0x7c00) continue;
      assert.ok(err <= Math.abs(float16BitsToFloat32(neighbour) - x), `x=${x} chose ${hex(h)}`);
    }
  }
});
