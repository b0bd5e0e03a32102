import assert from 'node:assert/strict';
import test from 'node:test';
import { crc32 } from './crc32.js';

test('crc32 matches the standard check value, over a whole buffer or a range of it', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const padded = new Uint8Array([7, 7, ...check, 9]);
  assert.equal(crc32(padded, 2, 2 + check.length), 0xcbf43926);
});
