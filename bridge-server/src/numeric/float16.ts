/**
 * IEEE 754 binary16 <-> binary32 conversion on raw bits. fp16 ONNX models take and return
 * float16 tensors, which Node 20 has no typed array for: they travel as Uint16Array bit patterns.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** float32 value -> float16 bits, rounding to nearest even; overflow gives ±Inf, NaN stays NaN. */
export function float32ToFloat16Bits(value: number): number {
  scratchF32[0] = value;
  const bits = scratchU32[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exp32 = (bits >>> 23) & 0xff;
  const mant32 = bits & 0x7fffff;

  if (exp32 === 0xff) {
    // Keep the top payload bits and force the quiet bit so a NaN never collapses into Inf.
    return mant32 === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant32 >>> 13);
  }
  const exp16 = exp32 - 127 + 15;
  if (exp16 >= 0x1f) return sign | 0x7c00;
  if (exp16 <= 0) {
    // Result is subnormal (or zero): shift the full 24-bit significand down to units of 2^-24.
    if (exp16 < -10) return sign;
    const full = mant32 | 0x800000;
    const shift = 14 - exp16;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (m & 1) === 1)) m++;
    // m may reach 0x400, which is exactly the smallest normal: the bit layout makes that right.
    return sign | m;
  }
  let out = sign | (exp16 << 10) | (mant32 >>> 13);
  const rem = mant32 & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and from the largest finite value gives Inf.
  if (rem > 0x1000 || (rem === 0x1000 && (out & 1) === 1)) out++;
  return out;
}

/** float16 bits -> float32 value (exact: every half is representable as a float). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

let halfTable: Float32Array | undefined;

/** All 65536 halves decoded once: output conversion then is one lookup per element. */
function decodeTable(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = float16BitsToFloat32(i);
  }
  return halfTable;
}

/**
 * Bulk float32 -> float16 with the same rounding as float32ToFloat16Bits, on integer bit patterns
 * so a multi-gigabyte weight conversion costs a few nanoseconds per element.
 */
export function float32ArrayToFloat16(src: ArrayLike<number>): Uint16Array {
  const floats = src instanceof Float32Array ? src : Float32Array.from(src);
  const words = new Uint32Array(floats.buffer, floats.byteOffset, floats.length);
  const out = new Uint16Array(floats.length);
  for (let i = 0; i < words.length; i++) {
    const x = words[i] as number;
    const exp32 = (x >>> 23) & 0xff;
    // Normal results, the common case: exponent in half range after rebias.
    if (exp32 > 112 && exp32 < 143) {
      const mant = x & 0x7fffff;
      let h = ((x >>> 16) & 0x8000) | ((exp32 - 112) << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
      out[i] = h;
    } else {
      out[i] = float32ToFloat16Bits(floats[i] as number);
    }
  }
  return out;
}

export function float16ArrayToFloat32(src: Uint16Array): Float32Array {
  const table = decodeTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i] ?? 0] ?? 0;
  return out;
}
