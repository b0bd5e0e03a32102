import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import { composite, compositeInto, compositeInto16, flattenAlpha, type Rgba16Image } from './composite.js';
import type { Mask, RgbaImage } from './pixels.js';

function noise(width: number, height: number, seed: number, opaque = false): RgbaImage {
  let s = seed;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = opaque && i % 4 === 3 ? 255 : s >>> 24;
  }
  return { width, height, data };
}

test('mask 0 leaves the original bit-identical, mask 255 gives the result exactly, at odd offsets and sizes', () => {
  const original = noise(37, 29, 1);
  for (const [w, h, x, y] of [
    [1, 1, 0, 0],
    [1, 1, 36, 28],
    [13, 7, 5, 3],
    [37, 29, 0, 0],
    [11, 1, 26, 17],
  ] as const) {
    const result = noise(w, h, 2 + w);
    const mdata = new Uint8Array(w * h);
    for (let i = 0; i < mdata.length; i++) mdata[i] = [0, 255, 0, 255, 0, 77, 0, 200][i % 8]!;
    const mask: Mask = { width: w, height: h, data: mdata };
    const out = composite(original, result, mask, { x, y });
    for (let yy = 0; yy < original.height; yy++) {
      for (let xx = 0; xx < original.width; xx++) {
        const o = (yy * original.width + xx) * 4;
        const inside = xx >= x && xx < x + w && yy >= y && yy < y + h;
        const m = inside ? mdata[(yy - y) * w + (xx - x)]! : 0;
        const got = [...out.data.subarray(o, o + 4)];
        if (m === 0) assert.deepEqual(got, [...original.data.subarray(o, o + 4)], `original at ${xx},${yy}`);
        if (m === 255) {
          const r = ((yy - y) * w + (xx - x)) * 4;
          assert.deepEqual(got, [...result.data.subarray(r, r + 4)], `result at ${xx},${yy}`);
        }
      }
    }
  }
  // the input is not modified by composite()
  assert.deepEqual(original.data, noise(37, 29, 1).data);
});

test('soft coverage blends with rounding to nearest; alpha weights colour', () => {
  const original: RgbaImage = { width: 4, height: 1, data: new Uint8Array([0, 0, 0, 255, 10, 20, 30, 255, 200, 0, 0, 0, 100, 100, 100, 128]) };
  const result: RgbaImage = { width: 4, height: 1, data: new Uint8Array([255, 255, 255, 255, 11, 21, 31, 255, 0, 0, 255, 255, 0, 0, 0, 0]) };
  const mask: Mask = { width: 4, height: 1, data: new Uint8Array([128, 128, 51, 128]) };
  compositeInto(original, result, mask, { x: 0, y: 0 });
  // 255·128/255 = 128; (10·127 + 11·128)/255 = 10.502 → 11; transparent original adds no colour:
  // pixel 3 alpha = 255·51/255 = 51 and colour is the result's; pixel 4: transparent result keeps colour, alpha 128·127/255 = 63.75 → 64
  assert.deepEqual([...original.data], [128, 128, 128, 255, 11, 21, 31, 255, 0, 0, 255, 51, 100, 100, 100, 64]);
});

test('16-bit targets: untouched outside the mask, scaled overlay inside', () => {
  const target: Rgba16Image = { width: 3, height: 1, data: new Uint16Array([1, 2, 3, 32768, 1001, 1002, 1003, 32768, 7, 8, 9, 32768]) };
  const overlay: RgbaImage = { width: 2, height: 1, data: new Uint8Array([255, 128, 0, 255, 255, 255, 255, 255]) };
  compositeInto16(target, overlay, { width: 2, height: 1, data: new Uint8Array([0, 255]) }, { x: 1, y: 0 }, 32768);
  assert.deepEqual([...target.data], [1, 2, 3, 32768, 1001, 1002, 1003, 32768, 32768, 32768, 32768, 32768]);
  const t2: Rgba16Image = { width: 1, height: 1, data: new Uint16Array([0, 0, 0, 65535]) };
  compositeInto16(t2, { width: 1, height: 1, data: new Uint8Array([128, 1, 0, 255]) }, { width: 1, height: 1, data: new Uint8Array([255]) }, { x: 0, y: 0 });
  assert.deepEqual([...t2.data], [128 * 257, 257, 0, 65535]);
});

test('mismatched mask, placement outside, and broken buffers are BridgeErrors', () => {
  const original = noise(10, 10, 3);
  const result = noise(4, 4, 4);
  const m4: Mask = { width: 4, height: 4, data: new Uint8Array(16).fill(255) };
  assert.throws(() => composite(original, result, { width: 4, height: 3, data: new Uint8Array(12) }, { x: 0, y: 0 }), (e) => e instanceof BridgeError && e.code === 'mask_invalid');
  assert.throws(() => composite(original, result, m4, { x: 7, y: 0 }), (e) => e instanceof BridgeError && e.field === 'offset');
  assert.throws(() => composite(original, result, m4, { x: -1, y: 0 }), (e) => e instanceof BridgeError && e.field === 'offset');
  assert.throws(() => composite(original, result, m4, { x: 0.5, y: 0 }), (e) => e instanceof BridgeError && e.field === 'offset.x');
  assert.throws(() => composite(original, { width: 4, height: 4, data: new Uint8Array(10) }, m4, { x: 0, y: 0 }), (e) => e instanceof BridgeError && e.code === 'image_invalid');
});

test('flattenAlpha composites straight alpha over a background', () => {
  const img: RgbaImage = { width: 3, height: 1, data: new Uint8Array([10, 20, 30, 255, 0, 0, 0, 0, 255, 0, 0, 128]) };
  const flat = flattenAlpha(img, { r: 255, g: 255, b: 255 });
  assert.deepEqual([...flat.data], [10, 20, 30, 255, 255, 255, 255, 255, 255, 127, 127, 255]);
});
