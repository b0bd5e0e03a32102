import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import { composite } from './composite.js';
import { planOutpaint, prefillEdge, prefillNoise } from './outpaint.js';
import type { RgbaImage } from './pixels.js';

function gradient(width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x * 10, y * 10, 7, 255], (y * width + x) * 4);
  return { width, height, data };
}

test('canvas, placement and mask with a soft seam reaching into the old image', () => {
  const plan = planOutpaint({ image: { width: 10, height: 6 }, expand: { left: 3, right: 2 }, seam: 3 });
  assert.deepEqual(plan.canvas, { width: 15, height: 6 });
  assert.deepEqual(plan.imageAt, { x: 3, y: 0 });
  assert.deepEqual(plan.imageBounds, { x: 3, y: 0, width: 10, height: 6 });
  const row = [...plan.mask.data.subarray(0, 15)];
  // new | 191 128 64 (seam, 255·(3−d)/4) | 0 … | 64 128 191 | new
  assert.deepEqual(row, [255, 255, 255, 191, 128, 64, 0, 0, 0, 0, 64, 128, 191, 255, 255]);
  // top and bottom did not grow: every row is the same
  for (let y = 1; y < 6; y++) assert.deepEqual([...plan.mask.data.subarray(y * 15, y * 15 + 15)], row);
  assert.deepEqual(plan.repaintBounds, { x: 0, y: 0, width: 15, height: 6 });
});

test('corners take the nearest grown edge; repaint bounds cover only the touched area', () => {
  const plan = planOutpaint({ image: { width: 6, height: 5 }, expand: { top: 2, right: 1 }, seam: 2 });
  assert.deepEqual(plan.canvas, { width: 7, height: 7 });
  const at = (x: number, y: number): number => plan.mask.data[y * 7 + x]!;
  assert.equal(at(0, 0), 255);
  assert.equal(at(0, 2), 170); // first old row: d = 0 → 255·2/3
  assert.equal(at(0, 3), 85);
  assert.equal(at(0, 4), 0);
  assert.equal(at(5, 6), 170); // last old column, bottom row: only the right edge grew
  assert.equal(at(4, 6), 85);
  assert.equal(at(3, 6), 0);
  assert.equal(at(6, 6), 255);
  assert.deepEqual(plan.repaintBounds, { x: 0, y: 0, width: 7, height: 7 });
  const hard = planOutpaint({ image: { width: 4, height: 4 }, expand: { bottom: 3 }, seam: 0 });
  assert.deepEqual(hard.repaintBounds, { x: 0, y: 4, width: 4, height: 3 });
});

test('edge pre-fill replicates the nearest edge pixel and keeps the old image exact', () => {
  const img = gradient(4, 3);
  const plan = planOutpaint({ image: img, expand: { left: 2, top: 1, right: 1, bottom: 2 } });
  const out = prefillEdge(img, plan);
  assert.deepEqual(plan.canvas, { width: 7, height: 6 });
  const px = (x: number, y: number): number[] => [...out.data.subarray((y * 7 + x) * 4, (y * 7 + x) * 4 + 4)];
  assert.deepEqual(px(0, 0), [0, 0, 7, 255]); // corner → image (0,0)
  assert.deepEqual(px(6, 5), [30, 20, 7, 255]); // corner → image (3,2)
  assert.deepEqual(px(4, 0), [20, 0, 7, 255]); // above column 2
  assert.deepEqual(px(0, 3), [0, 20, 7, 255]); // left of row 2
  for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) assert.deepEqual(px(x + 2, y + 1), [x * 10, y * 10, 7, 255]);
});

test('noise pre-fill is reproducible with a seeded generator and opaque', () => {
  const img = gradient(3, 3);
  const plan = planOutpaint({ image: img, expand: { right: 2 } });
  const seeded = (): (() => number) => {
    let s = 42;
    return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
  };
  const a = prefillNoise(img, plan, seeded());
  const b = prefillNoise(img, plan, seeded());
  assert.deepEqual(a.data, b.data);
  let calls = 0;
  prefillNoise(img, plan, () => (calls++, 0.999999));
  assert.equal(calls, 3 * 2 * 3); // one per colour sample of the 2×3 new pixels
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 5; x++) {
      const o = (y * 5 + x) * 4;
      if (x < 3) assert.deepEqual([...a.data.subarray(o, o + 4)], [x * 10, y * 10, 7, 255]);
      else assert.equal(a.data[o + 3], 255);
    }
  }
  const odd = prefillNoise(img, plan, () => Number.NaN);
  assert.equal(odd.data[3 * 4], 0);
});

test('compositing a result through the plan mask keeps old pixels beyond the seam bit-identical', () => {
  const img = gradient(8, 8);
  const plan = planOutpaint({ image: img, expand: { left: 4 }, seam: 2 });
  const canvas = prefillEdge(img, plan);
  const generated: RgbaImage = { width: 12, height: 8, data: new Uint8Array(12 * 8 * 4).fill(99) };
  const out = composite(canvas, generated, plan.mask, { x: 0, y: 0 });
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 12; x++) {
      const o = (y * 12 + x) * 4;
      if (x >= 6) assert.deepEqual([...out.data.subarray(o, o + 4)], [(x - 4) * 10, y * 10, 7, 255]);
      if (x < 4) assert.deepEqual([...out.data.subarray(o, o + 4)], [99, 99, 99, 99]);
    }
  }
});

test('bad outpaint requests are BridgeErrors', () => {
  assert.throws(() => planOutpaint({ image: { width: 4, height: 4 }, expand: {} }), (e) => e instanceof BridgeError && e.field === 'expand');
  assert.throws(() => planOutpaint({ image: { width: 4, height: 4 }, expand: { left: -1 } }), (e) => e instanceof BridgeError && e.field === 'expand.left');
  assert.throws(() => planOutpaint({ image: { width: 4, height: 4 }, expand: { left: 1.5 } }), (e) => e instanceof BridgeError && e.field === 'expand.left');
  assert.throws(() => planOutpaint({ image: { width: 4, height: 4 }, expand: { left: 100 }, maxPixels: 100 }), (e) => e instanceof BridgeError && e.code === 'limit_exceeded');
  const plan = planOutpaint({ image: { width: 4, height: 4 }, expand: { left: 1 } });
  assert.throws(() => prefillEdge(gradient(5, 4), plan), (e) => e instanceof BridgeError && e.code === 'image_invalid');
});
