import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WeightBuffers } from './weight-buffers.js';

test('a buffer given back is lent again; one still lent never is', () => {
  const pool = new WeightBuffers();
  const a = pool.float32(1000);
  const b = pool.float32(1000);
  assert.notEqual(a.buffer, b.buffer, 'two loans share no memory');
  pool.give(a);
  const c = pool.uint16(1500);
  assert.equal(c.buffer, a.buffer, 'the spare is reused for a smaller request');
  assert.equal(c.length, 1500);
  const d = pool.float32(1000);
  assert.notEqual(d.buffer, a.buffer);
  assert.notEqual(d.buffer, b.buffer);
});

test('foreign arrays, double gives and far larger spares are ignored', () => {
  const pool = new WeightBuffers();
  pool.give(new Float32Array(4096));
  const big = pool.float32(1 << 20);
  pool.give(big);
  pool.give(big); // a second give of the same buffer must not make it lendable twice
  const small = pool.float32(16);
  assert.notEqual(small.buffer, big.buffer, 'a 4 MiB spare is not spent on 64 bytes');
  const first = pool.float32(1 << 20);
  const second = pool.float32(1 << 20);
  assert.equal(first.buffer, big.buffer);
  assert.notEqual(second.buffer, big.buffer);
  pool.give(first);
  pool.clear();
  assert.notEqual(pool.float32(1 << 20).buffer, big.buffer, 'clear drops the spares');
});
