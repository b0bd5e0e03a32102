import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MT19937, MT_STATE_SIZE } from './mt19937.js';

// Reference values:
// - 5489 is std::mt19937's default seed. Its first output, 3499211612, is the classic MT19937
//   check value, and the C++ standard ([rand.predef]) requires the 10000th output of a
//   default-constructed std::mt19937 to be 4123659995.
// - Seed 0: 2357136044, 2546248239, 3071714933, read from an independent implementation
//   (numpy: `MT19937()._legacy_seeding(0)` then `random_raw(3)`, which seeds with init_genrand).

test('seed 5489 gives the standard check values (1st and 10000th output)', () => {
  const mt = new MT19937(5489);
  let value = mt.nextUint32();
  assert.equal(value, 3499211612);
  for (let i = 2; i <= 10000; i++) value = mt.nextUint32();
  assert.equal(value, 4123659995);
});

test('seed 0 starts 2357136044, 2546248239, 3071714933', () => {
  const mt = new MT19937(0);
  assert.deepEqual([mt.nextUint32(), mt.nextUint32(), mt.nextUint32()], [2357136044, 2546248239, 3071714933]);
});

test('only the low 32 bits of the seed matter, as in std::mt19937', () => {
  const a = new MT19937(2 ** 32 + 7);
  const b = new MT19937(7);
  const c = new MT19937(-1);
  const d = new MT19937(0xffffffff);
  for (let i = 0; i < 5; i++) {
    assert.equal(a.nextUint32(), b.nextUint32());
    assert.equal(c.nextUint32(), d.nextUint32());
  }
});

test('a fresh engine is in torch state left = 1, next = 0; each twist resets to 624/0', () => {
  const mt = new MT19937(42);
  assert.deepEqual([mt.getState().left, mt.getState().next], [1, 0]);
  mt.nextUint32();
  assert.deepEqual([mt.getState().left, mt.getState().next], [MT_STATE_SIZE, 1]);
  for (let i = 1; i < MT_STATE_SIZE; i++) mt.nextUint32();
  assert.deepEqual([mt.getState().left, mt.getState().next], [1, MT_STATE_SIZE]);
  mt.nextUint32();
  assert.deepEqual([mt.getState().left, mt.getState().next], [MT_STATE_SIZE, 1]);
});

test('nextUint53 is the low 53 bits of (first << 32 | second)', () => {
  const a = new MT19937(123);
  const b = new MT19937(123);
  for (let i = 0; i < 50; i++) {
    const hi = BigInt(b.nextUint32());
    const lo = BigInt(b.nextUint32());
    const expected = ((hi << 32n) | lo) & ((1n << 53n) - 1n);
    assert.equal(BigInt(a.nextUint53()), expected);
  }
});

test('clone and fromState continue exactly, independently of the original, across twists', () => {
  const mt = new MT19937(99);
  for (let i = 0; i < 700; i++) mt.nextUint32();
  const copy = mt.clone();
  const restored = MT19937.fromState(mt.getState());
  const expected = Array.from({ length: 1300 }, () => mt.nextUint32());
  assert.deepEqual(
    Array.from({ length: 1300 }, () => copy.nextUint32()),
    expected,
  );
  assert.deepEqual(
    Array.from({ length: 1300 }, () => restored.nextUint32()),
    expected,
  );
});

test('getState returns a copy that later draws do not change', () => {
  const mt = new MT19937(5);
  const state = mt.getState();
  const before = state.words.slice();
  for (let i = 0; i < 1000; i++) mt.nextUint32();
  assert.deepEqual(state.words, before);
});

test('fromState rejects states torch would call invalid', () => {
  const good = new MT19937(1).getState();
  assert.throws(() => MT19937.fromState({ ...good, left: 0 }), RangeError);
  assert.throws(() => MT19937.fromState({ ...good, left: MT_STATE_SIZE + 1 }), RangeError);
  assert.throws(() => MT19937.fromState({ ...good, next: MT_STATE_SIZE + 1 }), RangeError);
  assert.throws(() => MT19937.fromState({ ...good, words: new Uint32Array(10) }), RangeError);
});
