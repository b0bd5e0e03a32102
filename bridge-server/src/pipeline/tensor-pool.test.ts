import assert from 'node:assert/strict';
import test from 'node:test';
import { TensorPool } from './tensor-pool.js';

test('a given-back buffer of the same length is handed out again; other lengths get fresh ones', () => {
  const pool = new TensorPool(2);
  const a = pool.take(16);
  assert.equal(a.length, 16);
  pool.give(a);
  const b = pool.take(8);
  assert.notEqual(b.buffer, a.buffer);
  assert.equal(pool.take(16), a);
  // Taken means gone: a second take of that length while it is out is a different buffer.
  assert.notEqual(pool.take(16), a);
});

test('the pool keeps at most `keep` buffers and ignores a buffer given back twice', () => {
  const pool = new TensorPool(2);
  const [x, y, z] = [pool.take(4), pool.take(4), pool.take(4)];
  pool.give(x);
  pool.give(x);
  pool.give(y);
  pool.give(z); // x drops out: the oldest goes first
  const got = new Set([pool.take(4), pool.take(4), pool.take(4)]);
  assert.ok(got.has(y) && got.has(z));
  assert.ok(!got.has(x));
});
