import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import {
  binarizeMask,
  chwToRgb,
  chwToRgba,
  fromModelValue,
  inpaintConditioning,
  latentMask,
  legacyLatentMask,
  maskImageChw,
  nchwToRgbaBatch,
  prepareInpaintTensors,
  rgbaBatchToNchw,
  rgbaToChw,
  roundHalfEven,
  toModelValue,
} from './tensor.js';
import type { Mask, RgbaImage } from './pixels.js';

const f32 = Math.fround;

test('input values follow diffusers: float32(2·float32(v/255) − 1)', () => {
  let differsFromShortcut = 0;
  for (let v = 0; v < 256; v++) {
    assert.equal(toModelValue(v), f32(2 * f32(v / 255) - 1));
    if (toModelValue(v) !== f32(v / 127.5 - 1)) differsFromShortcut++;
  }
  // v/127.5 − 1 is off by one ulp for many values, which is why the table follows diffusers' order.
  assert.ok(differsFromShortcut > 0);
  assert.equal(toModelValue(0), -1);
  assert.equal(toModelValue(255), 1);
});

test('output rounding is numpy round-half-even on float32 (x/2 + 0.5)·255', () => {
  assert.equal(roundHalfEven(0.5), 0);
  assert.equal(roundHalfEven(1.5), 2);
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(2.5000001), 3);
  // Model outputs whose float32 product lands exactly on .5: Math.round would give 65 and 69.
  const tie64 = -0.4941175878047943;
  const tie68 = -0.4627450406551361;
  assert.equal(f32(f32(f32(tie64) / 2 + 0.5) * 255), 64.5);
  assert.equal(fromModelValue(tie64), 64);
  assert.equal(fromModelValue(tie68), 68);
  assert.equal(fromModelValue(-0.48627445101737976), 66); // 65.5 → 66
  assert.equal(fromModelValue(0), 128); // 127.5 → 128 (even)
  assert.equal(fromModelValue(-1), 0);
  assert.equal(fromModelValue(1), 255);
  assert.equal(fromModelValue(-7), 0);
  assert.equal(fromModelValue(3), 255);
  assert.equal(fromModelValue(Number.NaN), 0);
  for (let v = 0; v < 256; v++) assert.equal(fromModelValue(toModelValue(v)), v);
});

test('RGBA8 → planar CHW drops alpha; batches concatenate; back gives opaque RGBA', () => {
  const a: RgbaImage = { width: 2, height: 1, data: new Uint8Array([0, 128, 255, 7, 255, 0, 64, 200]) };
  const chw = rgbaToChw(a);
  assert.deepEqual([...chw], [0, 255, 128, 0, 255, 64].map(toModelValue));
  const b: RgbaImage = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) };
  const batch = rgbaBatchToNchw([a, b]);
  assert.equal(batch.length, 12);
  assert.deepEqual([...batch.subarray(6)], [1, 5, 2, 6, 3, 7].map(toModelValue));
  const back = nchwToRgbaBatch(batch, 2, 2, 1);
  assert.deepEqual([...back[0]!.data], [0, 128, 255, 255, 255, 0, 64, 255]);
  assert.deepEqual([...back[1]!.data], [1, 2, 3, 255, 5, 6, 7, 255]);
  assert.throws(() => rgbaBatchToNchw([a, { width: 1, height: 2, data: new Uint8Array(8) }]), BridgeError);
  assert.throws(() => chwToRgba(new Float32Array(5), 2, 1), (e) => e instanceof BridgeError && e.code === 'tensor_mismatch');
});

function mask(width: number, height: number, set: Array<[number, number, number]>): Mask {
  const data = new Uint8Array(width * height);
  for (const [x, y, v] of set) data[y * width + x] = v;
  return { width, height, data };
}

test('binarize at 128 and latent mask samples the top-left of each 8×8 block (torch nearest)', () => {
  const m = mask(16, 16, [
    [8, 0, 128],
    [9, 9, 255],
    [0, 8, 127],
  ]);
  const bin = binarizeMask(m);
  assert.equal(bin[8], 1);
  assert.equal(bin[8 * 16], 0);
  assert.equal(bin[9 * 16 + 9], 1);
  assert.deepEqual([...latentMask(bin, 16, 16)], [0, 1, 0, 0]);
  assert.throws(() => latentMask(new Float32Array(12 * 16), 12, 16), (e) => e instanceof BridgeError && e.field === 'mask');
});

test('masked image zeroes repaint pixels in all channels and keeps the rest bit for bit', () => {
  const chw = new Float32Array([-0.5, 0.25, 0.75, -1, 1, 0.1]);
  const out = maskImageChw(chw, new Float32Array([1, 0]));
  assert.deepEqual([...out], [-0, 0.25, 0, -1, 0, 0.1].map(f32));
  assert.ok(Object.is(out[0], -0)); // like torch: −0.5 · 0 = −0
});

test('prepareInpaintTensors checks sizes and grid', () => {
  const img: RgbaImage = { width: 16, height: 8, data: new Uint8Array(16 * 8 * 4).fill(255) };
  const m = mask(16, 8, [[3, 3, 255]]);
  const t = prepareInpaintTensors(img, m);
  assert.equal(t.latentWidth, 2);
  assert.equal(t.latentHeight, 1);
  assert.deepEqual([...t.mask], [0, 0]); // pixel 3,3 is not a block's top-left
  assert.equal(t.maskedImage[3 * 16 + 3], 0);
  assert.equal(t.maskedImage[0], 1);
  assert.throws(() => prepareInpaintTensors(img, mask(8, 8, [])), (e) => e instanceof BridgeError && e.code === 'mask_invalid');
  const odd: RgbaImage = { width: 12, height: 8, data: new Uint8Array(12 * 8 * 4) };
  assert.throws(() => prepareInpaintTensors(odd, mask(12, 8, [])), (e) => e instanceof BridgeError && e.code === 'invalid_field');
});

test('legacy latent mask: PIL nearest at pixel centres, soft, inverted, tiled over channels', () => {
  const m = mask(16, 8, [
    [4, 4, 255],
    [12, 4, 51],
    [0, 0, 255],
  ]);
  const lm = legacyLatentMask(m);
  assert.equal(lm.length, 4 * 2);
  assert.deepEqual([...lm.subarray(0, 2)], [0, f32(1 - f32(51 / 255))]);
  assert.deepEqual([...lm.subarray(6, 8)], [...lm.subarray(0, 2)]);
  // 17×9 is cut to 16×8 latents-wise, sampling the full image at centres
  assert.equal(legacyLatentMask(mask(17, 9, [])).length, 4 * 2);
});

/** The float32 values `steps` ulps either side of x (through zero and across the sign). */
function around(x: number, steps: number): number[] {
  const f = new Float32Array(1);
  const bits = new Int32Array(f.buffer);
  f[0] = x;
  const key = bits[0]! >= 0 ? bits[0]! : -(bits[0]! & 0x7fffffff);
  const out: number[] = [];
  for (let k = key - steps; k <= key + steps; k++) {
    bits[0] = k >= 0 ? k : -k | 0x80000000;
    out.push(f[0]!);
  }
  return out;
}

test('chwToRgba rounds every value exactly as fromModelValue, at each byte boundary and between', () => {
  const values: number[] = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 1.5, -1.5, 1e30, -1e30];
  for (let v = 0; v < 256; v++) {
    // The tie points (x/2 + 0.5)·255 = v ± 0.5 and the exact input values, a few ulps either side.
    for (const c of [((v - 0.5) / 255 - 0.5) * 2, ((v + 0.5) / 255 - 0.5) * 2, toModelValue(v)]) values.push(...around(c, 3));
  }
  let seed = 1;
  for (let i = 0; i < 20000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    values.push(((seed / 2 ** 32) * 2.4 - 1.2));
  }
  const width = values.length;
  const chw = new Float32Array(width * 3);
  chw.set(values, 0);
  chw.set(values.slice().reverse(), width);
  chw.set(values, 2 * width);
  const rgba = chwToRgba(chw, width, 1).data;
  for (let p = 0; p < width; p++) {
    for (let c = 0; c < 3; c++) {
      const x = chw[c * width + p]!;
      assert.equal(rgba[p * 4 + c], fromModelValue(x), `value ${x}`);
    }
    assert.equal(rgba[p * 4 + 3], 255);
  }
});

test('inpaintConditioning equals prepareInpaintTensors bit for bit, signed zeros included', () => {
  const width = 24;
  const height = 16;
  const img: RgbaImage = { width, height, data: new Uint8Array(width * height * 4) };
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37 + 11) & 255;
  const m: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let i = 0; i < m.data.length; i++) m.data[i] = (i * 53) & 255;
  const full = prepareInpaintTensors(img, m);
  const lean = inpaintConditioning(img, m);
  assert.equal(lean.maskedImage.length, full.maskedImage.length);
  for (let i = 0; i < full.maskedImage.length; i++) assert.ok(Object.is(lean.maskedImage[i], full.maskedImage[i]), `maskedImage[${i}]`);
  assert.deepEqual([...lean.mask], [...full.mask]);
  assert.ok(lean.maskedImage.some((v) => Object.is(v, -0)));
  assert.throws(() => inpaintConditioning(img, mask(8, 8, [])), (e) => e instanceof BridgeError && e.code === 'mask_invalid');
});

test('packed RGB reads as its RGBA form: CHW, inpaint conditioning; chwToRgb is chwToRgba without alpha', () => {
  const w = 24;
  const h = 16;
  const rgba = new Uint8Array(w * h * 4);
  const rgb = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = rgb[p * 3 + c] = (p * 37 + c * 91) & 255;
    rgba[p * 4 + 3] = 255;
  }
  const a = { width: w, height: h, data: rgba };
  const b = { width: w, height: h, data: rgb };
  assert.deepEqual(rgbaToChw(b), rgbaToChw(a));
  const mask = { width: w, height: h, data: Uint8Array.from({ length: w * h }, (_, i) => (i % 7 < 3 ? 255 : 0)) };
  assert.deepEqual(inpaintConditioning(b, mask), inpaintConditioning(a, mask));
  // Written into a given buffer, every value is overwritten.
  const into = new Float32Array(w * h * 3).fill(Number.NaN);
  assert.deepEqual(inpaintConditioning(b, mask, 8, into).maskedImage, inpaintConditioning(a, mask).maskedImage);
  assert.throws(() => inpaintConditioning(b, mask, 8, new Float32Array(5)), (e) => e instanceof BridgeError && e.field === 'out');
  assert.throws(() => rgbaToChw({ width: w, height: h, data: new Uint8Array(w * h * 2) }), (e) => e instanceof BridgeError && e.code === 'image_invalid');
  const chw = Float32Array.from({ length: w * h * 3 }, (_, i) => Math.sin(i) * 1.2);
  const withAlpha = chwToRgba(chw, w, h).data;
  const packed = chwToRgb(chw, w, h);
  for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) assert.equal(packed[p * 3 + c], withAlpha[p * 4 + c]);
});
