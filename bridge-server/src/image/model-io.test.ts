import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compositeInto, flattenAlpha } from './composite.js';
import { compositeFromModel, regionToModel, regionToModelRgb } from './model-io.js';
import { cloneRgba, cropRgba, type Mask, type RgbaImage } from './pixels.js';
import { resizeRgba } from './resize.js';

function noise(width: number, height: number, seed: number, alpha: 'opaque' | 'mixed'): RgbaImage {
  let s = seed;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = i % 4 === 3 && (alpha === 'opaque' || (i >> 2) % 3 !== 0) ? 255 : s >>> 24;
  }
  return { width, height, data };
}

const WHITE = { r: 255, g: 255, b: 255 };

test('regionToModel equals crop → flatten → resize, opaque or not, any kernel and size', async () => {
  for (const alpha of ['opaque', 'mixed'] as const) {
    const doc = noise(61, 47, 7, alpha);
    const region = { x: 9, y: 5, width: 33, height: 29 };
    for (const [kernel, width, height] of [
      ['lanczos3', 48, 40],
      ['linear', 16, 24],
      ['nearest', 40, 32],
      ['lanczos3', 33, 29],
    ] as const) {
      const got = await regionToModel(doc, region, { width, height }, WHITE, kernel);
      const want = await resizeRgba(flattenAlpha(cropRgba(doc, region), WHITE), width, height, kernel);
      assert.deepEqual(got, want, `${alpha} ${kernel} ${width}×${height}`);
    }
  }
});

test('compositeFromModel equals resize → compositeInto, soft mask, odd offset; a transparent result too', async () => {
  for (const alpha of ['opaque', 'mixed'] as const) {
    const doc = noise(50, 40, 3, 'mixed');
    const generated = noise(32, 24, 9, alpha);
    const region = { x: 7, y: 11, width: 27, height: 21 };
    const m: Mask = { width: 27, height: 21, data: new Uint8Array(27 * 21) };
    for (let i = 0; i < m.data.length; i++) m.data[i] = [0, 255, 255, 90, 0, 1, 254, 255][i % 8]!;
    const got = cloneRgba(doc);
    await compositeFromModel(got, generated, m, region, 'lanczos3');
    const want = cloneRgba(doc);
    compositeInto(want, await resizeRgba(generated, 27, 21, 'lanczos3'), m, { x: 7, y: 11 });
    assert.deepEqual(got, want, alpha);
  }
});

test('regionToModelRgb is regionToModel without the alpha byte', async () => {
  for (const alpha of ['opaque', 'mixed'] as const) {
    const image = noise(61, 47, 5, alpha);
    const region = { x: 7, y: 3, width: 40, height: 33 };
    const size = { width: 32, height: 24 };
    const a = await regionToModel(image, region, size, { r: 255, g: 255, b: 255 });
    const b = await regionToModelRgb(image, region, size, { r: 255, g: 255, b: 255 });
    assert.equal(b.data.length, size.width * size.height * 3);
    for (let p = 0; p < size.width * size.height; p++) for (let c = 0; c < 3; c++) assert.equal(b.data[p * 3 + c], a.data[p * 4 + c]);
  }
});
