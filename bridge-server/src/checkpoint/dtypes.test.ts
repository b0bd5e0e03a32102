import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { convertF16, toFloat32 } from './dtypes.js';
import { gather } from './strided.js';
import { assertSameFloats } from './testing/assert-tensors.js';
import { torchFixtures } from './testing/torch-fixtures.js';

function every16(): Uint8Array {
  const all = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) all[i] = i;
  return new Uint8Array(all.buffer);
}

test('every float16 and bfloat16 bit pattern converts to the float32 torch gives', async (t) => {
  const dir = await torchFixtures(t);
  if (dir === undefined) return;
  for (const [dtype, file] of [['F16', 'f16-all.f32.bin'], ['BF16', 'bf16-all.f32.bin']] as const) {
    const ref = new Float32Array(new Uint8Array(await readFile(join(dir, file))).buffer);
    const out = new Float32Array(65536);
    toFloat32(dtype, every16(), out);
    assertSameFloats(out, ref, dtype);
  }
});

test('float16 conversion: the paired fast path and the odd tail agree with the element path', () => {
  const src = new Uint16Array(every16().buffer);
  const paired = new Uint32Array(65536);
  convertF16(src, paired);
  // Unaligned source (byteOffset 2) takes the element-wise path; odd lengths take the tail.
  const shifted = new Uint16Array(65537);
  shifted.set(src, 1);
  const single = new Uint32Array(65536);
  convertF16(new Uint16Array(shifted.buffer, 2, 65536), single);
  assert.deepEqual(single, paired);
  const odd = new Uint32Array(65535);
  convertF16(src.subarray(0, 65535), odd);
  assert.deepEqual(odd, paired.subarray(0, 65535));
});

test('float8 values match the published encodings (OCP FP8; torch float8_e4m3fn and float8_e5m2)', () => {
  const e4m3: Array<[number, number]> = [
    [0x00, 0], [0x80, -0], [0x01, 2 ** -9], [0x07, 7 * 2 ** -9], [0x08, 2 ** -6], [0x38, 1], [0x39, 1.125],
    [0x40, 2], [0x7e, 448], [0xfe, -448], [0x77, 240],
  ];
  const e5m2: Array<[number, number]> = [
    [0x00, 0], [0x80, -0], [0x01, 2 ** -16], [0x04, 2 ** -14], [0x3c, 1], [0x3d, 1.25], [0x7b, 57344],
    [0xfb, -57344], [0x7c, Infinity], [0xfc, -Infinity],
  ];
  for (const [dtype, table, nans] of [['F8_E4M3', e4m3, [0x7f, 0xff]], ['F8_E5M2', e5m2, [0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]]] as const) {
    const all = new Uint8Array(256).map((_, i) => i);
    const out = new Float32Array(256);
    toFloat32(dtype, all, out);
    for (const [bits, value] of table) assert.ok(Object.is(out[bits], value), `${dtype} 0x${bits.toString(16)}: ${out[bits]} != ${value}`);
    for (const bits of nans) assert.ok(Number.isNaN(out[bits]), `${dtype} 0x${bits.toString(16)} is NaN`);
    const nanCount = out.filter((v) => Number.isNaN(v)).length;
    assert.equal(nanCount, nans.length, `${dtype}: only the NaN encodings are NaN`);
  }
});

test('integers, doubles and booleans widen or round like torch .float()', () => {
  const i64 = new BigInt64Array([0n, -1n, 2n ** 40n + 3n, -(2n ** 31n), 2n ** 53n - 1n, 16777217n]);
  const out = new Float32Array(i64.length);
  toFloat32('I64', new Uint8Array(i64.buffer), out);
  assert.deepEqual([...out], [0, -1, Math.fround(2 ** 40 + 3), -(2 ** 31), Math.fround(2 ** 53 - 1), 16777216]);
  const f64 = new Float64Array([1 / 3, 1e300, -1e-300, 0.1]);
  const o64 = new Float32Array(4);
  toFloat32('F64', new Uint8Array(f64.buffer), o64);
  assert.deepEqual([...o64], [Math.fround(1 / 3), Infinity, -0, Math.fround(0.1)]);
  const b = new Float32Array(3);
  toFloat32('BOOL', new Uint8Array([0, 1, 2]), b);
  assert.deepEqual([...b], [0, 1, 1]);
  const i8 = new Float32Array(2);
  toFloat32('I8', new Uint8Array([0xff, 0x7f]), i8);
  assert.deepEqual([...i8], [-1, 127]);
});

test('gather agrees with index arithmetic on random views (any rank, stride 0, offsets)', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let round = 0; round < 300; round++) {
    const rank = rand(5);
    const shape = Array.from({ length: rank }, () => 1 + rand(4));
    const stride = shape.map(() => rand(7));
    const offset = rand(5);
    const itemSize = [1, 2, 4, 8][rand(4)]!;
    const numel = shape.reduce((a, b) => a * b, 1);
    const last = offset + shape.reduce((s, d, i) => s + (d - 1) * stride[i]!, 0);
    const storage = new Uint8Array((last + 1) * itemSize).map(() => rand(256));
    const out = new Uint8Array(numel * itemSize);
    gather(storage.subarray(offset * itemSize), { offset, shape, stride }, itemSize, out);
    for (let n = 0; n < numel; n++) {
      let rest = n;
      let at = offset;
      for (let d = rank - 1; d >= 0; d--) {
        at += (rest % shape[d]!) * stride[d]!;
        rest = Math.floor(rest / shape[d]!);
      }
      for (let b = 0; b < itemSize; b++) assert.equal(out[n * itemSize + b], storage[at * itemSize + b], `round ${round} element ${n}`);
    }
  }
});
