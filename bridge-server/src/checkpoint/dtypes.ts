/**
 * Element types of stored tensors and their conversion to float32. The conversions are exact
 * (every F16, BF16 and F8 value is representable in float32); F64 rounds to nearest; 64-bit
 * integers pass through a double, so only magnitudes past 2^53 could round differently from torch.
 */
import type { StoredDType } from './tensor-source.js';

export const DTYPE_SIZE: Readonly<Record<StoredDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

export function isStoredDType(value: unknown): value is StoredDType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, value);
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Stored tensors are little-endian and are viewed in place; a big-endian host would need swaps.
  throw new Error('latent-bridge checkpoint readers need a little-endian host');
}

/** float32 bit patterns of all 65536 halves; only the rare cases (zero, subnormal, inf, NaN) use it. */
const HALF_TABLE = buildHalfTable();

function halfToFloatBits(h: number): number {
  const em = h & 0x7fff;
  let bits: number;
  if (em >= 0x7c00) bits = 0x7f800000 | ((em & 0x3ff) << 13); // inf, NaN (payload kept, as torch does)
  else if (em >= 0x0400) bits = (em + 0x1c000) << 13; // normal: rebias exponent 15 -> 127
  else if (em === 0) bits = 0;
  else {
    // subnormal: normalize the mantissa
    let m = em;
    let e = 113;
    while ((m & 0x400) === 0) {
      m <<= 1;
      e -= 1;
    }
    bits = (e << 23) | ((m & 0x3ff) << 13);
  }
  return (((h & 0x8000) << 16) | bits) >>> 0;
}

function buildHalfTable(): Uint32Array {
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = halfToFloatBits(h);
  return table;
}

/**
 * IEEE half -> float32 bits. Normal numbers (nearly all weights) take a branch-predictable
 * add-and-shift; the rest come from the table. Reads pairs of halves as one 32-bit word.
 */
export function convertF16(src: Uint16Array, out: Uint32Array): void {
  const n = src.length;
  const table = HALF_TABLE;
  const pairs = n >>> 1;
  // Two halves per 32-bit load when the source is 4-byte aligned (always, for our own buffers).
  if ((src.byteOffset & 3) === 0 && pairs > 0) {
    const words = new Uint32Array(src.buffer, src.byteOffset, pairs);
    for (let i = 0; i < pairs; i++) {
      const w = words[i]!;
      const lo = w & 0xffff;
      const hi = w >>> 16;
      const a = lo & 0x7fff;
      const b = hi & 0x7fff;
      out[2 * i] = (a - 0x400) >>> 0 < 0x7800 ? ((lo & 0x8000) << 16) | ((a + 0x1c000) << 13) : table[lo]!;
      out[2 * i + 1] = (b - 0x400) >>> 0 < 0x7800 ? ((hi & 0x8000) << 16) | ((b + 0x1c000) << 13) : table[hi]!;
    }
    if ((n & 1) === 1) out[n - 1] = table[src[n - 1]!]!;
    return;
  }
  for (let i = 0; i < n; i++) {
    const h = src[i]!;
    const a = h & 0x7fff;
    out[i] = (a - 0x400) >>> 0 < 0x7800 ? ((h & 0x8000) << 16) | ((a + 0x1c000) << 13) : table[h]!;
  }
}

/** One half's value (for scalars; arrays go through convertF16). */
export function halfToNumber(h: number): number {
  const f = new Float32Array(new Uint32Array([HALF_TABLE[h & 0xffff]!]).buffer);
  return f[0]!;
}

/** bfloat16 is the top half of a float32. */
export function convertBF16(src: Uint16Array, out: Uint32Array): void {
  const n = src.length;
  for (let i = 0; i < n; i++) out[i] = src[i]! << 16;
}

/**
 * torch.float8_e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is
 * NaN, so the largest value is 448 (the "fn" variant of the OCP FP8 spec that torch implements).
 */
const E4M3_TABLE = (() => {
  const t = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const e = (b >>> 3) & 0xf;
    const m = b & 7;
    if (e === 0xf && m === 7) t[b] = Number.NaN;
    else if (e === 0) t[b] = sign * (m / 8) * 2 ** -6;
    else t[b] = sign * (1 + m / 8) * 2 ** (e - 7);
  }
  return t;
})();

/** torch.float8_e5m2: IEEE-style 1/5/2 with infinities and NaN, i.e. the top byte of a half. */
const E5M2_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let b = 0; b < 256; b++) t[b] = halfToFloatBits(b << 8);
  return new Float32Array(t.buffer);
})();

function convertByTable(src: Uint8Array, table: Float32Array, out: Float32Array): void {
  const n = src.length;
  for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
}

/**
 * Converts `src` (stored little-endian bytes of `count` elements of `dtype`) into `out`.
 * `src` must start on a multiple of the element size (our own read buffers always do).
 */
export function toFloat32(dtype: StoredDType, src: Uint8Array, out: Float32Array): void {
  const count = out.length;
  const size = DTYPE_SIZE[dtype];
  if (src.byteLength < count * size) throw new RangeError(`toFloat32: ${src.byteLength} bytes for ${count} ${dtype}`);
  const buf = src.buffer;
  const at = src.byteOffset;
  switch (dtype) {
    case 'F32':
      out.set(new Float32Array(buf, at, count));
      return;
    case 'F16':
      convertF16(new Uint16Array(buf, at, count), new Uint32Array(out.buffer, out.byteOffset, count));
      return;
    case 'BF16':
      convertBF16(new Uint16Array(buf, at, count), new Uint32Array(out.buffer, out.byteOffset, count));
      return;
    case 'F64':
      out.set(new Float64Array(buf, at, count));
      return;
    case 'I64': {
      const words = new Int32Array(buf, at, count * 2);
      for (let i = 0; i < count; i++) out[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
      return;
    }
    case 'I32':
      out.set(new Int32Array(buf, at, count));
      return;
    case 'I16':
      out.set(new Int16Array(buf, at, count));
      return;
    case 'I8':
      out.set(new Int8Array(buf, at, count));
      return;
    case 'U8':
      out.set(new Uint8Array(buf, at, count));
      return;
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = src[i] === 0 ? 0 : 1;
      return;
    case 'F8_E4M3':
      convertByTable(src.subarray(0, count), E4M3_TABLE, out);
      return;
    case 'F8_E5M2':
      convertByTable(src.subarray(0, count), E5M2_TABLE, out);
      return;
  }
}

/** Elements of a shape (1 for a 0-dim tensor); undefined when not a safe integer. */
export function shapeNumel(shape: readonly number[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
}
