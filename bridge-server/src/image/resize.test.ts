import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import { resizeMask, resizeRgba, type ResizeKernel } from './resize.js';
import type { RgbaImage } from './pixels.js';

const KERNELS: ResizeKernel[] = ['nearest', 'linear', 'cubic', 'lanczos3'];
const SIZES: Array<[number, number]> = [
  [64, 40],
  [16, 9],
  [5, 3],
  [120, 71],
];

function filled(width: number, height: number, rgba: number[]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set(rgba, i * 4);
  return { width, height, data };
}

test('flat colours stay exactly flat for every kernel, opaque and translucent', async () => {
  for (const colour of [[17, 128, 254, 255], [200, 30, 90, 77]]) {
    const img = filled(37, 23, colour);
    for (const kernel of KERNELS) {
      for (const [w, h] of SIZES) {
        const out = await resizeRgba(img, w, h, kernel);
        assert.equal(out.data.length, w * h * 4);
        for (let i = 0; i < w * h; i++) {
          assert.deepEqual([...out.data.subarray(i * 4, i * 4 + 4)], colour, `${kernel} ${w}×${h} pixel ${i}`);
        }
      }
    }
  }
});

test('transparent edges do not darken or brighten the colour they belong to', async () => {
  // Left half opaque colour, right half transparent black: the classic dark-fringe trap.
  const W = 37;
  const H = 23;
  const img = filled(W, H, [0, 0, 0, 0]);
  for (let y = 0; y < H; y++) for (let x = 0; x < 18; x++) img.data.set([200, 30, 90, 255], (y * W + x) * 4);
  for (const kernel of KERNELS) {
    for (const [w, h] of SIZES) {
      const out = await resizeRgba(img, w, h, kernel);
      let edge = 0;
      for (let i = 0; i < w * h; i++) {
        const a = out.data[i * 4 + 3]!;
        if (a === 0) continue;
        if (a < 255) edge++;
        // ±1 for the 16-bit quantisation of premultiplied colour at the lowest alphas.
        const tol = a >= 8 ? 0 : 1;
        assert.ok(Math.abs(out.data[i * 4]! - 200) <= tol, `${kernel} ${w}×${h}: red ${out.data[i * 4]} at alpha ${a}`);
        assert.ok(Math.abs(out.data[i * 4 + 1]! - 30) <= tol);
        assert.ok(Math.abs(out.data[i * 4 + 2]! - 90) <= tol);
      }
      if (kernel !== 'nearest' && w !== 5) assert.ok(edge > 0, `${kernel} ${w}×${h} should have a soft edge`);
    }
  }
});

test('nearest samples pixel centres: exact 2× up and down scaling', async () => {
  const img: RgbaImage = { width: 4, height: 2, data: new Uint8Array(32) };
  for (let i = 0; i < 8; i++) img.data.set([i * 10, i, 0, 255], i * 4);
  const down = await resizeRgba(img, 2, 1, 'nearest');
  // centres of output pixels 0 and 1 fall in source columns 1 and 3 of row 1
  assert.deepEqual([...down.data], [50, 5, 0, 255, 70, 7, 0, 255]);
  const up = await resizeRgba(img, 8, 4, 'nearest');
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 8; x++) {
      const src = (y >> 1) * 4 + (x >> 1);
      assert.equal(up.data[(y * 8 + x) * 4], src * 10);
    }
  }
});

test('same size returns an equal copy; masks resize as one channel and keep soft edges', async () => {
  const img = filled(3, 3, [1, 2, 3, 4]);
  const same = await resizeRgba(img, 3, 3, 'lanczos3');
  assert.deepEqual(same.data, img.data);
  assert.notEqual(same.data, img.data);

  const mask = { width: 8, height: 8, data: new Uint8Array(64).fill(255) };
  for (const kernel of KERNELS) {
    const out = await resizeMask(mask, 13, 5, kernel);
    assert.equal(out.data.length, 65);
    assert.ok(out.data.every((v) => v === 255), kernel);
  }
  const half = { width: 8, height: 1, data: new Uint8Array([0, 0, 0, 0, 255, 255, 255, 255]) };
  const soft = await resizeMask(half, 16, 1, 'linear');
  assert.equal(soft.data[0], 0);
  assert.equal(soft.data[15], 255);
  assert.ok([...soft.data].some((v) => v > 0 && v < 255));
});

test('bad targets are BridgeErrors', async () => {
  const img = filled(2, 2, [0, 0, 0, 255]);
  await assert.rejects(resizeRgba(img, 0, 2), (e) => e instanceof BridgeError && e.field === 'width');
  await assert.rejects(resizeRgba(img, 2, 2, 'bogus' as ResizeKernel), (e) => e instanceof BridgeError && e.field === 'kernel');
  await assert.rejects(resizeRgba(img, 1000, 1000, 'linear', 10_000), (e) => e instanceof BridgeError && e.code === 'limit_exceeded');
  await assert.rejects(resizeMask({ width: 2, height: 2, data: new Uint8Array(3) }, 4, 4), (e) => e instanceof BridgeError && e.code === 'mask_invalid');
});
