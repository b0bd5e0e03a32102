/**
 * PyTorch's CPU sampling formulas on top of the MT19937 engine, reproduced step by step so that
 * values agree with torch (sources: ATen core/TransformationHelper.h, core/DistributionsHelper.h,
 * native/cpu/DistributionTemplates.h).
 *
 * float32 tensors of 16+ elements take normal_fill: all uniforms first, then Box-Muller over blocks
 * of 16 in float arithmetic. Smaller tensors take normal_distribution<double>, one element at a
 * time, which caches the second Box-Muller value in the generator: that cache outlives the call.
 */
import { AVX2_TWO_PI, avx2Log, avx2SinCos } from './avx2-math.js';
import type { MT19937 } from './mt19937.js';

const TWO_POW_MINUS_24 = 1 / 0x1000000;
const TWO_POW_MINUS_53 = 1 / 0x20000000000000;
/** torch writes `2.0 * c10::pi<double>`: the double 2π, in both Box-Muller paths. */
const TWO_PI = 2 * Math.PI;
const fround = Math.fround;

/** Size from which a contiguous float32 tensor takes the vectorised normal_fill path. */
export const NORMAL_FILL_MIN = 16;

/** The cached Box-Muller partners the generator carries between calls (torch's optionals). */
export interface NormalCache {
  nextDoubleNormal: number | null;
  /** Kept only so a state round-trips; no CPU float kernel reads or writes it. */
  nextFloatNormal: number | null;
}

/** uniform_real_distribution<double>(0, 1): the low 53 bits of random64(), scaled. */
export function uniformDouble(engine: MT19937): number {
  return engine.nextUint53() * TWO_POW_MINUS_53;
}

/** normal_distribution<double> with mean 0 and std 1, including its use of the cache. */
export function normalDouble(engine: MT19937, cache: NormalCache): number {
  const cached = cache.nextDoubleNormal;
  if (cached !== null) {
    cache.nextDoubleNormal = null;
    return cached;
  }
  const u1 = uniformDouble(engine);
  const u2 = uniformDouble(engine);
  // Older torch wrote log(1 - u2); 1 - u2 is exact here, so both agree far below float precision.
  const radius = Math.sqrt(-2 * Math.log1p(-u2));
  const theta = TWO_PI * u1;
  cache.nextDoubleNormal = radius * Math.sin(theta);
  return radius * Math.cos(theta);
}

/** uniform_real_distribution<float>(0, 1) per element: the low 24 bits of one draw, scaled. */
export function fillUniformFloat(engine: MT19937, out: Float32Array, start = 0, end = out.length): void {
  for (let i = start; i < end; i++) out[i] = (engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
}

/**
 * Which build of torch's float32 normal kernel (16+ elements) to reproduce; smaller tensors and
 * torch.rand are the same everywhere. All three agree to about 1e-6.
 *  - 'avx2-fma': x86-64 torch whose compiler fused the kernel's multiply-adds. GCC does this by
 *    default, so this is most likely the Linux wheels; most published outputs match it.
 *  - 'avx2': x86-64 torch with every multiply and add rounded separately (other published outputs
 *    match this; MSVC and clang builds, i.e. Windows and macOS, would behave so).
 *  - 'scalar': torch without AVX2, e.g. on ARM (Apple silicon): libm log/cos/sin in float.
 * The two AVX2 flavours differ by one unit in the last place in about 1% of values.
 */
export type NormalKernel = 'avx2-fma' | 'avx2' | 'scalar';

export const NORMAL_KERNELS: readonly NormalKernel[] = ['avx2-fma', 'avx2', 'scalar'];

/** Standard normal samples into `out`, choosing torch's path by size as normal_kernel does. */
export function fillStandardNormal(engine: MT19937, cache: NormalCache, out: Float32Array, kernel: NormalKernel): void {
  if (out.length >= NORMAL_FILL_MIN) {
    const transform = kernel === 'scalar' ? boxMuller16 : kernel === 'avx2' ? boxMuller16Avx2 : boxMuller16Avx2Fma;
    normalFill(engine, out, transform);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = normalDouble(engine, cache);
  }
}

/**
 * normal_fill for float32: uniforms for every element, Box-Muller per full block of 16, and when
 * the size is not a multiple of 16, 16 fresh uniforms over the last 16 slots, transformed again.
 */
function normalFill(engine: MT19937, data: Float32Array, transform: (data: Float32Array, offset: number) => void): void {
  const size = data.length;
  fillUniformFloat(engine, data);
  for (let i = 0; i + 16 <= size; i += 16) transform(data, i);
  if (size % 16 !== 0) {
    const tail = size - 16;
    fillUniformFloat(engine, data, tail, size);
    transform(data, tail);
  }
}

/**
 * normal_fill_16 with scalar_t = float: log, sqrt, cos and sin are the float functions, theta is
 * formed in double and then stored as float. Each fround marks a point where C++ holds a float.
 * Products of two floats are exact in double, so storing into the Float32Array rounds them once,
 * as float multiplication does. torch's AVX2 kernel uses polynomial log/sincos and a float 2π
 * instead, so x86 torch differs from this (and from torch on ARM) by about 1e-6.
 */
function boxMuller16(data: Float32Array, offset: number): void {
  for (let j = offset; j < offset + 8; j++) {
    const u1 = 1 - (data[j] as number); // [0, 1) -> (0, 1] for the log; exact in float
    const u2 = data[j + 8] as number;
    const radius = fround(Math.sqrt(-2 * fround(Math.log(u1))));
    const theta = fround(TWO_PI * u2);
    data[j] = radius * fround(Math.cos(theta));
    data[j + 8] = radius * fround(Math.sin(theta));
  }
}

const sinCos = new Float64Array(2);

/** normal_fill_16_AVX2 lane by lane: float 2π, avx_mathfun's log and sincos, float products. */
function boxMuller16Avx2Lanes(data: Float32Array, offset: number, fused: boolean): void {
  for (let j = offset; j < offset + 8; j++) {
    const radius = fround(Math.sqrt(-2 * avx2Log(1 - (data[j] as number), fused)));
    avx2SinCos(fround(AVX2_TWO_PI * (data[j + 8] as number)), fused, sinCos);
    // The final fmadd with std = 1 and mean = 0 leaves the float product unchanged.
    data[j] = radius * (sinCos[1] as number);
    data[j + 8] = radius * (sinCos[0] as number);
  }
}

function boxMuller16Avx2(data: Float32Array, offset: number): void {
  boxMuller16Avx2Lanes(data, offset, false);
}

function boxMuller16Avx2Fma(data: Float32Array, offset: number): void {
  boxMuller16Avx2Lanes(data, offset, true);
}
