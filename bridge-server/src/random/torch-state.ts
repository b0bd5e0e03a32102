/**
 * The byte layout of `torch.get_rng_state()` / `Generator.get_state()` for the CPU generator, so a
 * state saved from Python can resume here and the other way round. The layout is the C struct
 * CPUGeneratorImplState (aten/src/ATen/CPUGeneratorImpl.cpp) on 64-bit targets, little-endian:
 *
 *   0  uint64 the_initial_seed     16  uint64 next      5024 double normal_y (the double cache)
 *   8  int32  left                 24  uint64 state[624] 5040 int32 normal_is_valid
 *  12  int32  seeded             5016  double normal_x  5048 float next_float_normal_sample
 *                                5032  double normal_rho 5052 bool  is_next_float_normal_sample_valid
 *
 * 5056 bytes in all; torch writes normal_x and normal_rho as 0 and ignores them on reading.
 */
import { invalidField } from '@latent-bridge/shared';
import { MT_STATE_SIZE } from './mt19937.js';
import type { TorchGeneratorState } from './torch-generator.js';

export const TORCH_CPU_STATE_BYTES = 5056;

const AT_SEED = 0;
const AT_LEFT = 8;
const AT_SEEDED = 12;
const AT_NEXT = 16;
const AT_WORDS = 24;
const AT_NORMAL_Y = 5024;
const AT_NORMAL_VALID = 5040;
const AT_FLOAT_SAMPLE = 5048;
const AT_FLOAT_VALID = 5052;

/** The bytes torch.get_rng_state() would return for a generator in `state`. */
export function encodeTorchCpuState(state: TorchGeneratorState): Uint8Array {
  const bytes = new Uint8Array(TORCH_CPU_STATE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(AT_SEED, state.initialSeed, true);
  view.setInt32(AT_LEFT, state.engine.left, true);
  view.setInt32(AT_SEEDED, 1, true);
  view.setBigUint64(AT_NEXT, BigInt(state.engine.next), true);
  state.engine.words.forEach((word, i) => view.setUint32(AT_WORDS + 8 * i, word, true));
  if (state.nextDoubleNormal !== null) {
    view.setFloat64(AT_NORMAL_Y, state.nextDoubleNormal, true);
    view.setInt32(AT_NORMAL_VALID, 1, true);
  }
  if (state.nextFloatNormal !== null) {
    view.setFloat32(AT_FLOAT_SAMPLE, state.nextFloatNormal, true);
    view.setUint8(AT_FLOAT_VALID, 1);
  }
  return bytes;
}

/** Reads torch.get_rng_state() bytes, with the checks torch's set_state makes. */
export function decodeTorchCpuState(bytes: Uint8Array): TorchGeneratorState {
  if (bytes.length !== TORCH_CPU_STATE_BYTES) {
    throw invalidField('state', `expected ${TORCH_CPU_STATE_BYTES} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const left = view.getInt32(AT_LEFT, true);
  // torch narrows `next` to 32 bits and each 64-bit state word to its low 32 bits.
  const next = view.getUint32(AT_NEXT, true);
  if (view.getInt32(AT_SEEDED, true) === 0 || left <= 0 || left > MT_STATE_SIZE || next > MT_STATE_SIZE) {
    throw invalidField('state', 'not a valid MT19937 state (seeded, left or next out of range)');
  }
  const words = new Uint32Array(MT_STATE_SIZE);
  for (let i = 0; i < MT_STATE_SIZE; i++) words[i] = view.getUint32(AT_WORDS + 8 * i, true);
  return {
    initialSeed: view.getBigUint64(AT_SEED, true),
    engine: { words, left, next },
    nextDoubleNormal: view.getInt32(AT_NORMAL_VALID, true) !== 0 ? view.getFloat64(AT_NORMAL_Y, true) : null,
    nextFloatNormal: view.getUint8(AT_FLOAT_VALID) !== 0 ? view.getFloat32(AT_FLOAT_SAMPLE, true) : null,
  };
}
