import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import { assertMaskSize, createMask, createRgba, cropMask, cropRgba, isOpaque } from './pixels.js';

test('crops copy exactly the half-open rectangle at odd offsets', () => {
  const img = createRgba(7, 5);
  for (let i = 0; i < 35; i++) img.data.set([i, 0, 0, 255], i * 4);
  const c = cropRgba(img, { x: 3, y: 1, width: 4, height: 3 });
  assert.deepEqual([...c.data].filter((_, i) => i % 4 === 0), [10, 11, 12, 13, 17, 18, 19, 20, 24, 25, 26, 27]);
  const m = createMask(7, 5);
  m.data.forEach((_, i) => (m.data[i] = i));
  assert.deepEqual([...cropMask(m, { x: 6, y: 4, width: 1, height: 1 }).data], [34]);
  assert.ok(isOpaque(img));
  img.data[7] = 254;
  assert.ok(!isOpaque(img));
});

test('crops outside the image, bad shapes and size mismatches are BridgeErrors', () => {
  const img = createRgba(4, 4);
  assert.throws(() => cropRgba(img, { x: 1, y: 0, width: 4, height: 1 }), (e) => e instanceof BridgeError && e.code === 'invalid_field');
  assert.throws(() => cropRgba({ width: 2, height: 2, data: new Uint8Array(15) }, { x: 0, y: 0, width: 1, height: 1 }), (e) => e instanceof BridgeError && e.code === 'image_invalid');
  assert.throws(() => assertMaskSize(createMask(4, 3), img), (e) => e instanceof BridgeError && e.code === 'mask_invalid');
  assert.throws(() => createRgba(0, 4), (e) => e instanceof BridgeError && e.field === 'image.width');
  assert.throws(() => createMask(100, 100, 0, 9999), (e) => e instanceof BridgeError && e.code === 'limit_exceeded');
});
