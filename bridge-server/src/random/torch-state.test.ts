import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { MT_STATE_SIZE } from './mt19937.js';
import { TorchGenerator } from './torch-generator.js';
import { decodeTorchCpuState, encodeTorchCpuState, TORCH_CPU_STATE_BYTES } from './torch-state.js';

// The layout follows CPUGeneratorImplState in aten/src/ATen/CPUGeneratorImpl.cpp; its total,
// 5056 bytes, is the size published printouts report for torch.get_rng_state().

test('a freshly seeded generator encodes like torch: seed, left = 1, seeded, next = 0, state words', () => {
  const bytes = encodeTorchCpuState(new TorchGenerator(42).getState());
  assert.equal(bytes.length, TORCH_CPU_STATE_BYTES);
  assert.equal(TORCH_CPU_STATE_BYTES, 5056);
  const view = new DataView(bytes.buffer);
  assert.equal(view.getBigUint64(0, true), 42n);
  assert.equal(view.getInt32(8, true), 1);
  assert.equal(view.getInt32(12, true), 1);
  assert.equal(view.getBigUint64(16, true), 0n);
  // state[0] is the seed, state[1] = 1812433253 * (s ^ (s >> 30)) + 1, each stored as uint64.
  assert.equal(view.getBigUint64(24, true), 42n);
  assert.equal(view.getBigUint64(32, true), (1812433253n * 42n + 1n) % 2n ** 32n);
  assert.equal(view.getInt32(5040, true), 0, 'no cached normal');
  assert.equal(view.getUint8(5052), 0, 'no cached float normal');
});

test('the cached normal goes to normal_y with normal_is_valid set', () => {
  const gen = new TorchGenerator(1);
  gen.randn([1]);
  const cached = gen.getState().nextDoubleNormal;
  assert.equal(typeof cached, 'number');
  const view = new DataView(encodeTorchCpuState(gen.getState()).buffer);
  assert.equal(view.getFloat64(5024, true), cached);
  assert.equal(view.getInt32(5040, true), 1);
});

test('encode then decode resumes the stream exactly, for negative and 64-bit seeds too', () => {
  for (const seed of [0, -7, 2n ** 63n + 3n]) {
    const gen = new TorchGenerator(seed);
    gen.randn([5]);
    gen.randn([700]);
    const state = decodeTorchCpuState(encodeTorchCpuState(gen.getState()));
    assert.deepEqual(state.engine.words, gen.getState().engine.words);
    const resumed = TorchGenerator.fromState(state);
    assert.deepEqual([resumed.randn([3]), resumed.randn([33])], [gen.randn([3]), gen.randn([33])], String(seed));
  }
});

test('decode reads only the low 32 bits of each state word and the float cache flag', () => {
  const bytes = encodeTorchCpuState(new TorchGenerator(3).getState());
  const view = new DataView(bytes.buffer);
  view.setUint32(24 + 4, 0xdeadbeef, true); // high half of state[0]
  view.setFloat32(5048, 0.25, true);
  view.setUint8(5052, 1);
  const state = decodeTorchCpuState(bytes);
  assert.equal(state.engine.words[0], 3);
  assert.equal(state.nextFloatNormal, 0.25);
});

test('decode refuses wrong sizes and states torch would reject', () => {
  const isState = (err: unknown): boolean => err instanceof BridgeError && err.code === 'invalid_field' && err.field === 'state';
  assert.throws(() => decodeTorchCpuState(new Uint8Array(5048)), isState);
  const corrupt = (offset: number, value: number): Uint8Array => {
    const bytes = encodeTorchCpuState(new TorchGenerator(3).getState());
    new DataView(bytes.buffer).setInt32(offset, value, true);
    return bytes;
  };
  assert.throws(() => decodeTorchCpuState(corrupt(8, 0)), isState, 'left = 0');
  assert.throws(() => decodeTorchCpuState(corrupt(8, MT_STATE_SIZE + 1)), isState, 'left too large');
  assert.throws(() => decodeTorchCpuState(corrupt(12, 0)), isState, 'not seeded');
  assert.throws(() => decodeTorchCpuState(corrupt(16, MT_STATE_SIZE + 1)), isState, 'next too large');
});
