/**
 * Float32 emulation of the log and sincos that x86 PyTorch uses in its AVX2 normal kernel
 * (ATen's avx_mathfun.h: Cephes-style range reduction and polynomials, 8 lanes at a time). Every
 * step is rounded to float as the vector instruction would, so x86 torch's output is reproduced
 * bit for bit rather than to within the ~1e-6 that separates these approximations from libm.
 *
 * The kernel is written as separate multiply and add intrinsics. Compilers that contract a multiply
 * whose only use is an add into one FMA instruction (GCC does by default) give results that differ
 * in the last bit for about 1% of outputs. Published torch outputs come in exactly these two
 * flavours, so `fused` selects one: true contracts every such pair, false rounds each step.
 */
const f = Math.fround;

const SQRT_HALF = f(0.707106781186547524);
const LOG_P0 = f(7.0376836292e-2);
const LOG_P1 = f(-1.151461031e-1);
const LOG_P2 = f(1.167699874e-1);
const LOG_P3 = f(-1.2420140846e-1);
const LOG_P4 = f(1.4249322787e-1);
const LOG_P5 = f(-1.6668057665e-1);
const LOG_P6 = f(2.0000714765e-1);
const LOG_P7 = f(-2.4999993993e-1);
const LOG_P8 = f(3.3333331174e-1);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);

const FOUR_OVER_PI = f(1.27323954473516);
// π/4 split in three so that the reduction x - j·π/4 keeps extra precision.
const MINUS_DP1 = f(-0.78515625);
const MINUS_DP2 = f(-2.4187564849853515625e-4);
const MINUS_DP3 = f(-3.77489497744594108e-8);
const SIN_P0 = f(-1.9515295891e-4);
const SIN_P1 = f(8.3321608736e-3);
const SIN_P2 = f(-1.6666654611e-1);
const COS_P0 = f(2.443315711809948e-5);
const COS_P1 = f(-1.388731625493765e-3);
const COS_P2 = f(4.166664568298827e-2);

/** float(2π) as the AVX2 kernel broadcasts it. */
export const AVX2_TWO_PI = f(2 * Math.PI);

/**
 * Single-rounding float a·b + c (vfmadd) for float inputs. a·b is exact in double; the sum is
 * rounded twice (to double, then float), which goes wrong only when the double lands exactly on a
 * float midpoint, so that case is settled with the sum's exact rounding error.
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f(s);
  const d = s - r;
  if (d === 0) return r;
  const other = r + 2 * d; // a float only when s lies exactly halfway between two floats
  if (f(other) !== other) return r;
  const cPart = s - p;
  const err = p - (s - cPart) + (c - cPart);
  return err !== 0 && err > 0 === d > 0 ? other : r;
}

function mulAdd(a: number, b: number, c: number, fused: boolean): number {
  return fused ? fmaf(a, b, c) : f(f(a * b) + c);
}

/** 2^-k for k = 0..32, to rescale without touching float bits. */
const INV_POW2 = Array.from({ length: 33 }, (_, k) => 2 ** -k);

/**
 * log256_ps for one lane. The kernel only passes 1 - u for a uniform u = k·2^-24, so x = n·2^-24
 * with n an integer in [1, 2^24]; its exponent and [0.5, 1) mantissa follow from n's bit length.
 */
export function avx2Log(x: number, fused: boolean): number {
  const n = x * 0x1000000;
  const bitLength = 32 - Math.clz32(n);
  let e = bitLength - 24; // the exponent field minus 126, as the kernel forms it
  const m = n * (INV_POW2[bitLength] as number);
  let t: number;
  if (m < SQRT_HALF) {
    e = f(e - 1);
    t = f(f(m - 1) + m);
  } else {
    t = f(m - 1);
  }
  const z = f(t * t);
  let y = mulAdd(LOG_P0, t, LOG_P1, fused);
  y = mulAdd(y, t, LOG_P2, fused);
  y = mulAdd(y, t, LOG_P3, fused);
  y = mulAdd(y, t, LOG_P4, fused);
  y = mulAdd(y, t, LOG_P5, fused);
  y = mulAdd(y, t, LOG_P6, fused);
  y = mulAdd(y, t, LOG_P7, fused);
  y = mulAdd(y, t, LOG_P8, fused);
  y = f(y * t);
  y = mulAdd(y, z, f(e * LOG_Q1), fused);
  y = f(y - z * 0.5); // z·0.5 is exact, fused or not
  return f(f(t + y) + e * LOG_Q2); // e·Q2 is exact: Q2 has 9 significant bits, |e| < 2^8
}

/** sincos256_ps for one lane with x >= 0; writes [sin, cos] into `out`. */
export function avx2SinCos(x: number, fused: boolean, out: Float64Array): void {
  let j = Math.trunc(f(x * FOUR_OVER_PI));
  j = (j + 1) & ~1;
  // j·DP1 and j·DP2 are exact (short constants, j <= 8), so only j·DP3 can be fused differently.
  let r = f(x + j * MINUS_DP1);
  r = f(r + j * MINUS_DP2);
  r = mulAdd(j, MINUS_DP3, r, fused);
  const z = f(r * r);

  let c = mulAdd(COS_P0, z, COS_P1, fused);
  c = mulAdd(c, z, COS_P2, fused);
  c = f(c * z);
  c = mulAdd(c, z, -(z * 0.5), fused);
  c = f(c + 1);

  let s = mulAdd(SIN_P0, z, SIN_P1, fused);
  s = mulAdd(s, z, SIN_P2, fused);
  s = f(s * z);
  s = mulAdd(s, r, r, fused);

  const sinPoly = (j & 2) === 0;
  let sin = sinPoly ? s : c;
  let cos = sinPoly ? c : s;
  if ((j & 4) !== 0) sin = -sin;
  if (((j - 2) & 4) === 0) cos = -cos;
  out[0] = sin;
  out[1] = cos;
}
