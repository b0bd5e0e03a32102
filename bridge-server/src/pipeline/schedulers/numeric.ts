/**
 * The numpy and torch building blocks diffusers' schedulers are made of, reproduced with the same
 * arithmetic: numpy works in float64 (set_timesteps, sigma schedules), torch's CPU tensors in float32
 * (training schedule, step math). `Math.fround` after an operation stands for a float32 tensor op.
 */

export const f32 = Math.fround;

/** numpy.linspace (float64): start + i·step, the last value exactly `stop` when endpoint is true. */
export function npLinspace(start: number, stop: number, num: number, endpoint = true): number[] {
  if (num <= 0) return [];
  const div = endpoint ? num - 1 : num;
  const delta = stop - start;
  const step = delta / div;
  const out = new Array<number>(num);
  for (let i = 0; i < num; i++) {
    // numpy: a single point (div 0) is `start`; a zero step divides first.
    out[i] = div <= 0 ? i * delta + start : step === 0 ? (i / div) * delta + start : i * step + start;
  }
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/**
 * numpy.arange with a float step: length ceil((stop - start) / step), values start + i·delta where
 * delta is (start + step) - start, as numpy's fill loop computes them.
 */
export function npArange(start: number, stop: number, step: number): number[] {
  const len = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Array<number>(len);
  if (len === 0) return out;
  out[0] = start;
  const delta = start + step - start;
  for (let i = 1; i < len; i++) out[i] = start + i * delta;
  return out;
}

/** numpy.round (and torch.round): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  // Math.round rounds halves up; step back where that left an odd value.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.interp for xp = 0, 1, …, fp.length - 1 (the only grid the schedulers interpolate on). */
export function interpUnitGrid(x: number, fp: ArrayLike<number>): number {
  const last = fp.length - 1;
  if (!(x > 0)) return fp[0] as number;
  if (x >= last) return fp[last] as number;
  const j = Math.floor(x);
  const lo = fp[j] as number;
  if (x === j) return lo;
  const slope = (fp[j + 1] as number) - lo;
  return slope * (x - j) + lo;
}

/** torch.linspace(start, end, steps, dtype=float32) on CPU: the second half counts back from `end`. */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1)));
  }
  return out;
}

/** torch.cumprod on a CPU float32 tensor: the running product is kept in double, stored as float32. */
export function torchCumprodF32(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  let product = 1;
  for (let i = 0; i < values.length; i++) {
    product *= values[i] as number;
    out[i] = product;
  }
  return out;
}

/** `(x ** 0.5)` on a float32 tensor: torch maps the 0.5 power to sqrt. */
export function sqrtF32(x: number): number {
  return f32(Math.sqrt(x));
}

/** Exact for polynomials up to degree 15: the LMS coefficients integrate Lagrange polynomials of degree ≤ 3. */
const GAUSS_LEGENDRE_8 = [
  [-0.9602898564975363, 0.1012285362903763],
  [-0.7966664774136267, 0.2223810344533745],
  [-0.525532409916329, 0.3137066458778873],
  [-0.1834346424956498, 0.362683783378362],
  [0.1834346424956498, 0.362683783378362],
  [0.525532409916329, 0.3137066458778873],
  [0.7966664774136267, 0.2223810344533745],
  [0.9602898564975363, 0.1012285362903763],
] as const;

/** ∫ₐᵇ fn(τ) dτ by 8-point Gauss–Legendre quadrature. */
export function integrate(fn: (tau: number) => number, a: number, b: number): number {
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  let sum = 0;
  for (const [node, weight] of GAUSS_LEGENDRE_8) sum += weight * fn(mid + half * node);
  return sum * half;
}
