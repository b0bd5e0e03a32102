import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import {
  bounds,
  checkPixelLimit,
  clampToCanvas,
  contains,
  extent,
  intersect,
  invertMapping,
  mapBoundsOutward,
  mapPoint,
  multipleOf,
  padBounds,
  scaleToShortSide,
  union,
} from './geometry.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof BridgeError ? `${err.code}:${err.field ?? ''}` : 'not-bridge-error';
  }
  return undefined;
}

test('multipleOf rounds up, down and to nearest', () => {
  assert.equal(multipleOf(513, 8, 'up'), 520);
  assert.equal(multipleOf(519, 8, 'down'), 512);
  assert.equal(multipleOf(516, 8, 'nearest'), 520); // half rounds up
  assert.equal(multipleOf(515.9, 8, 'nearest'), 512);
  assert.equal(multipleOf(5, 8, 'down'), 0);
  assert.equal(multipleOf(512, 8, 'up'), 512);
});

test('pad, clamp, intersect and union keep integer half-open bounds', () => {
  const b = bounds(10, 20, 30, 40);
  assert.deepEqual(padBounds(b, 5), { x: 5, y: 15, width: 40, height: 50 });
  assert.deepEqual(padBounds(b, { left: 1, right: 2 }), { x: 9, y: 20, width: 33, height: 40 });
  assert.deepEqual(clampToCanvas(bounds(-5, -5, 20, 20), extent(10, 12)), { x: 0, y: 0, width: 10, height: 12 });
  assert.equal(clampToCanvas(bounds(10, 0, 5, 5), extent(10, 10)), null); // touching the right edge is outside
  assert.equal(intersect(bounds(0, 0, 5, 5), bounds(5, 0, 5, 5)), null);
  assert.deepEqual(intersect(bounds(0, 0, 5, 5), bounds(4, 3, 5, 5)), { x: 4, y: 3, width: 1, height: 2 });
  assert.deepEqual(union(bounds(0, 0, 2, 2), bounds(5, 7, 1, 1)), { x: 0, y: 0, width: 6, height: 8 });
  assert.ok(contains(bounds(0, 0, 10, 10), bounds(9, 9, 1, 1)));
  assert.ok(!contains(bounds(0, 0, 10, 10), bounds(9, 9, 2, 1)));
});

test('bad values are BridgeErrors naming the field', () => {
  assert.equal(code(() => bounds(0.5, 0, 1, 1, 'selection')), 'invalid_field:selection.x');
  assert.equal(code(() => bounds(0, 0, 0, 1, 'selection')), 'invalid_field:selection.width');
  assert.equal(code(() => extent(Number.NaN, 1)), 'invalid_field:size.width');
  assert.equal(code(() => padBounds(bounds(0, 0, 1, 1), -1)), 'invalid_field:padding.left');
  assert.equal(code(() => checkPixelLimit(extent(100, 100), 9999, 'image')), 'limit_exceeded:image');
});

test('scaleToShortSide keeps aspect within rounding and gives multiples of 8', () => {
  assert.deepEqual(scaleToShortSide(extent(600, 400), 512), { width: 768, height: 512 });
  assert.deepEqual(scaleToShortSide(extent(400, 600), 512), { width: 512, height: 768 });
  const odd = scaleToShortSide(extent(651, 433), 512);
  assert.equal(odd.height, 512);
  assert.equal(odd.width % 8, 0);
  assert.ok(Math.abs(odd.width - (651 * 512) / 433) <= 4);
  // long side capped: both sides shrink together
  const thin = scaleToShortSide(extent(3000, 100), 512, 8, 1024);
  assert.equal(thin.width, 1024);
  assert.equal(thin.height, 32);
  assert.deepEqual(scaleToShortSide(extent(10, 1), 512, 8, 64), { width: 64, height: 8 });
});

test('mapping and its inverse round-trip; outward rounding covers touched pixels', () => {
  const m = { from: bounds(100, 50, 300, 200), to: bounds(0, 0, 768, 512) };
  const p = mapPoint(m, { x: 250, y: 150 });
  assert.deepEqual(p, { x: 384, y: 256 });
  assert.deepEqual(mapPoint(invertMapping(m), p), { x: 250, y: 150 });
  assert.deepEqual(mapBoundsOutward(m, bounds(100, 50, 300, 200)), { x: 0, y: 0, width: 768, height: 512 });
  assert.deepEqual(mapBoundsOutward(m, bounds(101, 50, 1, 1)), { x: 2, y: 0, width: 4, height: 3 });
});
