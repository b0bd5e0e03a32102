/** Test support: compares what a reader gives with torch's own bytes and values. */
import assert from 'node:assert/strict';
import type { TensorSource } from '../tensor-source.js';
import type { ExpectedTensor } from './torch-fixtures.js';

/** Same float32 bits, except that any NaN matches any NaN (payloads are not part of the contract). */
export function assertSameFloats(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === e[i]) continue;
    if (Number.isNaN(actual[i]) && Number.isNaN(expected[i])) continue;
    assert.fail(`${what}[${i}]: got ${actual[i]} (0x${a[i]!.toString(16)}), torch has ${expected[i]} (0x${e[i]!.toString(16)})`);
  }
}

/** Every expected tensor is in the source with torch's dtype, shape, bytes and float values; nothing else is. */
export async function assertMatchesTorch(source: TensorSource, expected: ReadonlyMap<string, ExpectedTensor>): Promise<void> {
  assert.deepEqual([...source.keys()].sort(), [...expected.keys()].sort(), 'keys');
  for (const [key, want] of expected) {
    const entry = source.entry(key);
    assert.ok(entry !== undefined, `entry ${key}`);
    assert.equal(entry.dtype, want.dtype, `${key}: dtype`);
    assert.deepEqual([...entry.shape], [...want.shape], `${key}: shape`);
    assert.equal(entry.byteLength, want.raw.byteLength, `${key}: byteLength`);
    assert.deepEqual(Buffer.from(await source.readRaw(key)), Buffer.from(want.raw), `${key}: raw bytes`);
    assertSameFloats(await source.readFloat32(key), want.f32, key);
  }
}
