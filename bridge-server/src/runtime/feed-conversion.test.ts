import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import { batchSizeOf, convertOutput, prepareFeed, toInteger } from './feed-conversion.js';
import { float32ToFloat16Bits } from '../numeric/float16.js';

test('float -> integer truncates like numpy but snaps float noise', () => {
  assert.equal(toInteger(981.5), 981);
  assert.equal(toInteger(999.99999), 1000);
  assert.equal(toInteger(0.00001), 0);
  assert.equal(toInteger(-1.5), -1);
  assert.equal(toInteger(20), 20);
});

test('conversions between id and float types', () => {
  const ids = prepareFeed('te', { name: 'input_ids', dtype: 'int64', dims: ['b', 's'] }, { data: new Int32Array([1, -2, 49407]), dims: [1, 3] }, 1);
  assert.deepEqual([...(ids.data as BigInt64Array)], [1n, -2n, 49407n]);
  const back = prepareFeed('te', { name: 'input_ids', dtype: 'int32', dims: ['b', 's'] }, { data: new BigInt64Array([5n, 6n]), dims: [1, 2] }, 1);
  assert.ok(back.data instanceof Int32Array);
  assert.deepEqual([...back.data], [5, 6]);
  const half = prepareFeed('u', { name: 'x', dtype: 'float16', dims: [2] }, { data: new Float32Array([1, -0.5]), dims: [2] }, 1);
  assert.deepEqual([...(half.data as Uint16Array)], [0x3c00, 0xb800]);
  const f64 = prepareFeed('u', { name: 'g', dtype: 'float64', dims: [] }, 7.5, 1);
  assert.deepEqual({ dims: f64.dims, value: f64.data[0] }, { dims: [], value: 7.5 });
});

test('single values broadcast to a symbolic batch, never to a static or larger rank', () => {
  const info = { name: 'timestep', dtype: 'int64' as const, dims: ['batch'] };
  const b = prepareFeed('unet', info, 10, 3);
  assert.deepEqual(b.dims, [3]);
  assert.deepEqual([...(b.data as BigInt64Array)], [10n, 10n, 10n]);
  const fixed = prepareFeed('unet', { ...info, dims: [2] }, 10, 5);
  assert.deepEqual(fixed.dims, [2]);
  assert.throws(() => prepareFeed('unet', { ...info, dims: ['b', 1] }, 10, 1), BridgeError);
  assert.throws(
    () => prepareFeed('unet', { ...info, dims: [1] }, { data: new Float32Array([1, 2]), dims: [2] }, 2),
    /unet input "timestep": expected int64 \[1\], got float32 \[2\]/,
  );
});

test('batch size comes from sample, else the first rank >= 2 feed', () => {
  const t = { data: new Float32Array(1), dims: [1] };
  assert.equal(batchSizeOf({ timestep: t, sample: { data: new Float32Array(2 * 4), dims: [2, 4, 1, 1] } }), 2);
  assert.equal(batchSizeOf({ timestep: t, encoder_hidden_states: { data: new Float32Array(6), dims: [3, 2, 1] } }), 3);
  assert.equal(batchSizeOf({ timestep: 5 }), 1);
});

test('float16 outputs decode to float32; others pass through', () => {
  const out = convertOutput('float16', new Uint16Array([float32ToFloat16Bits(2.5), 0x7c00]), [2]);
  assert.equal(out.dtype, 'float32');
  assert.deepEqual([...out.data], [2.5, Infinity]);
  const ints = new BigInt64Array([1n]);
  assert.equal(convertOutput('int64', ints, [1]).data, ints);
});
