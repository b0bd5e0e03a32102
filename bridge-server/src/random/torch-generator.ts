/**
 * A stand-in for `torch.Generator('cpu')`: `new TorchGenerator(seed).randn(shape)` returns what
 * `torch.randn(shape, generator=torch.Generator('cpu').manual_seed(seed), dtype=torch.float32)`
 * returns, and later calls continue the stream as torch does, whatever mix of sizes is drawn.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { MT19937, type MT19937State } from './mt19937.js';
import {
  fillStandardNormal,
  fillUniformFloat,
  NORMAL_KERNELS,
  type NormalCache,
  type NormalKernel,
} from './torch-distributions.js';

export type { NormalKernel } from './torch-distributions.js';

/** Seeds as Python's `manual_seed` takes them: any integer in [-2^63, 2^64). */
export type TorchSeed = number | bigint;

/** Everything that decides the generator's future output (torch's CPUGeneratorImpl state). */
export interface TorchGeneratorState {
  /** torch's `initial_seed()`: the seed as an unsigned 64-bit value. */
  readonly initialSeed: bigint;
  readonly engine: MT19937State;
  /** Cached second Box-Muller value of normal_distribution<double>, or null. */
  readonly nextDoubleNormal: number | null;
  readonly nextFloatNormal: number | null;
}

/** Larger tensors are refused: one call may not allocate more than 1 GiB of float32. */
export const MAX_RANDOM_ELEMENTS = 2 ** 28;

const MIN_SEED = -(1n << 63n);
const SEED_LIMIT = 1n << 64n;

/**
 * Maps a seed to the uint64 torch stores. Python's manual_seed reads the seed as uint64 first and,
 * on overflow, as int64 reinterpreted, so negative seeds wrap (-1 is 2^64 - 1); the engine then
 * uses only the low 32 bits.
 */
export function torchSeedToUint64(seed: TorchSeed): bigint {
  if (typeof seed === 'number' && !Number.isInteger(seed)) throw invalidField('seed', 'must be an integer');
  const value = BigInt(seed);
  if (value < MIN_SEED || value >= SEED_LIMIT) throw invalidField('seed', 'must be in [-2^63, 2^64)');
  return BigInt.asUintN(64, value);
}

export interface TorchGeneratorOptions {
  /** Which torch build to match for float32 tensors of 16+ elements; default 'avx2-fma'. */
  readonly kernel?: NormalKernel;
}

export interface TorchGeneratorRestoreOptions extends TorchGeneratorOptions {
  /** The `seed` label of the restored generator (e.g. a negative seed); must map to initialSeed. */
  readonly seed?: TorchSeed;
}

export class TorchGenerator {
  /** The seed as it was given (for a generator made from a state: that state's initialSeed). */
  readonly seed: TorchSeed;
  /** torch's `initial_seed()`. */
  readonly initialSeed: bigint;
  readonly kernel: NormalKernel;
  private engine: MT19937;
  private readonly cache: NormalCache = { nextDoubleNormal: null, nextFloatNormal: null };

  constructor(seed: TorchSeed, options: TorchGeneratorOptions = {}) {
    this.seed = seed;
    this.initialSeed = torchSeedToUint64(seed);
    this.kernel = options.kernel ?? 'avx2-fma';
    if (!NORMAL_KERNELS.includes(this.kernel)) throw invalidField('kernel', `must be one of ${NORMAL_KERNELS.join(', ')}`);
    this.engine = new MT19937(Number(this.initialSeed & 0xffffffffn));
  }

  /** A generator that continues exactly where the one that produced `state` stood. */
  static fromState(state: TorchGeneratorState, options: TorchGeneratorRestoreOptions = {}): TorchGenerator {
    const gen = new TorchGenerator(options.seed ?? state.initialSeed, options);
    if (gen.initialSeed !== state.initialSeed) throw invalidField('seed', "does not match the state's initialSeed");
    try {
      gen.engine = MT19937.fromState(state.engine);
    } catch (err) {
      throw invalidField('state', err instanceof Error ? err.message : String(err));
    }
    gen.cache.nextDoubleNormal = state.nextDoubleNormal;
    gen.cache.nextFloatNormal = state.nextFloatNormal;
    return gen;
  }

  getState(): TorchGeneratorState {
    return {
      initialSeed: this.initialSeed,
      engine: this.engine.getState(),
      nextDoubleNormal: this.cache.nextDoubleNormal,
      nextFloatNormal: this.cache.nextFloatNormal,
    };
  }

  /** An independent copy (same seed label and kernel): both continue alike, neither affects the other. */
  clone(): TorchGenerator {
    return TorchGenerator.fromState(this.getState(), { seed: this.seed, kernel: this.kernel });
  }

  /** Standard normal float32 samples, row-major, as torch.randn(shape, generator=…). */
  randn(shape: readonly number[]): Float32Array {
    const out = new Float32Array(elementCount(shape));
    fillStandardNormal(this.engine, this.cache, out, this.kernel);
    return out;
  }

  /** Uniform float32 samples in [0, 1), as torch.rand(shape, generator=…). */
  rand(shape: readonly number[]): Float32Array {
    const out = new Float32Array(elementCount(shape));
    fillUniformFloat(this.engine, out);
    return out;
  }
}

function elementCount(shape: readonly number[]): number {
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) throw invalidField('shape', 'dimensions must be non-negative integers');
  }
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const dim of shape) {
    count *= dim;
    if (count > MAX_RANDOM_ELEMENTS) {
      throw new BridgeError('limit_exceeded', `shape: more than ${MAX_RANDOM_ELEMENTS} elements`, 'shape');
    }
  }
  return count;
}
