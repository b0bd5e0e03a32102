import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { BridgeError } from '@latent-bridge/shared';
import { decodeImage, encodeAnimatedWebp, encodeJpeg, encodePng, encodeWebp, sniffFormat } from './codec.js';
import { readPngParameters } from './png-text.js';
import type { RgbaImage } from './pixels.js';

/** A small image with every channel varying and some transparency. */
function sample(width: number, height: number, opaque: boolean): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data.set([(i * 37) & 255, (i * 11 + 3) & 255, (255 - i * 5) & 255, opaque ? 255 : (i * 53) & 255], i * 4);
  }
  return { width, height, data };
}

async function rejects(promise: Promise<unknown>, code: string): Promise<BridgeError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof BridgeError, `expected BridgeError, got ${String(err)}`);
    assert.equal(err.code, code);
    return err;
  }
  throw new Error('expected a rejection');
}

test('PNG round trip is lossless for RGBA and opaque RGB, at both compression settings', async () => {
  for (const opaque of [false, true]) {
    const img = sample(13, 7, opaque);
    for (const fast of [false, true]) {
      const png = await encodePng(img, { fast });
      assert.equal(sniffFormat(png), 'png');
      const back = await decodeImage(png);
      assert.equal(back.width, 13);
      assert.equal(back.height, 7);
      assert.deepEqual(back.data, img.data);
    }
    const meta = await sharp(await encodePng(img)).metadata();
    assert.equal(meta.channels, opaque ? 3 : 4);
  }
});

test('16-bit PNG decodes with rounding, not truncation', async () => {
  // Truncation (v >> 8) and rounding differ: 255 → 0.996 → 1 (not 0), 448 → 1.74 → 2 (not 1).
  const values = [0, 255, 448, 0x80ff, 32767, 65535, 129, 384];
  const raw = new Uint16Array(values.length * 4);
  values.forEach((v, i) => raw.set([v, v, 65535 - v, 40000], i * 4));
  const png = await sharp(raw, { raw: { width: values.length, height: 1, channels: 4 } }).toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(png).metadata()).depth, 'ushort');
  const img = await decodeImage(png);
  values.forEach((v, i) => {
    assert.equal(img.data[i * 4], Math.round((v * 255) / 65535), `value ${v}`);
    if (v === 255 || v === 448) assert.notEqual(img.data[i * 4], v >> 8);
    assert.equal(img.data[i * 4 + 2], Math.round(((65535 - v) * 255) / 65535));
    assert.equal(img.data[i * 4 + 3], Math.round((40000 * 255) / 65535));
  });
});

test('16-bit grey PNG with alpha expands to RGBA', async () => {
  const raw = new Uint16Array([0, 65535, 448, 30000, 65535, 0]);
  const png = await sharp(raw, { raw: { width: 3, height: 1, channels: 2 } }).toColourspace('grey16').png().toBuffer();
  const img = await decodeImage(png);
  assert.deepEqual([...img.data], [0, 0, 0, 255, 2, 2, 2, 117, 255, 255, 255, 0]);
});

test('8-bit grey, grey+alpha and palette PNGs expand to RGBA', async () => {
  const grey = await sharp(new Uint8Array([0, 100, 200, 255]), { raw: { width: 4, height: 1, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(grey).metadata()).channels, 1);
  assert.deepEqual([...(await decodeImage(grey)).data], [0, 0, 0, 255, 100, 100, 100, 255, 200, 200, 200, 255, 255, 255, 255, 255]);

  const greyAlpha = await sharp(new Uint8Array([50, 0, 60, 128]), { raw: { width: 2, height: 1, channels: 2 } }).toColourspace('b-w').png().toBuffer();
  assert.deepEqual([...(await decodeImage(greyAlpha)).data], [50, 50, 50, 0, 60, 60, 60, 128]);

  const colours = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 128, 10, 20, 30, 255, 0, 0, 255, 255]);
  const palette = await sharp(colours, { raw: { width: 4, height: 1, channels: 4 } }).png({ palette: true, colours: 4, dither: 0 }).toBuffer();
  assert.equal((await sharp(palette).metadata()).isPalette, true);
  assert.deepEqual((await decodeImage(palette)).data, colours);
});

test('JPEG and WebP encode and decode back close to the source', async () => {
  const flat: RgbaImage = { width: 16, height: 16, data: new Uint8Array(16 * 16 * 4) };
  for (let i = 0; i < 256; i++) flat.data.set([200, 40, 90, 255], i * 4);
  for (const bytes of [await encodeJpeg(flat, { quality: 95 }), await encodeWebp(flat, { quality: 95 }), await encodeWebp(flat, { lossless: true })]) {
    const img = await decodeImage(bytes);
    assert.equal(img.width, 16);
    for (let i = 0; i < 256; i++) {
      assert.ok(Math.abs(img.data[i * 4]! - 200) <= 2 && Math.abs(img.data[i * 4 + 1]! - 40) <= 2 && Math.abs(img.data[i * 4 + 2]! - 90) <= 2);
      assert.equal(img.data[i * 4 + 3], 255);
    }
  }
  // JPEG has no alpha: transparent pixels are composited onto the background, not left as black.
  const clear: RgbaImage = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 4) };
  const jpg = await decodeImage(await encodeJpeg(clear, { background: { r: 255, g: 255, b: 255 } }));
  assert.ok(jpg.data[0]! >= 250);
  const lossless = await decodeImage(await encodeWebp(sample(9, 5, false), { lossless: true }));
  assert.deepEqual(lossless.data.filter((_, i) => i % 4 === 3), sample(9, 5, false).data.filter((_, i) => i % 4 === 3));
});

test('PNG text option embeds the parameters entry', async () => {
  const png = await encodePng(sample(4, 4, true), { text: [{ keyword: 'parameters', text: 'a cat\nSteps: 20, Seed: 1' }], srgbProfile: true });
  assert.equal(readPngParameters(png), 'a cat\nSteps: 20, Seed: 1');
  const meta = await sharp(png).metadata();
  assert.ok(meta.icc, 'sRGB profile embedded');
  assert.deepEqual((await decodeImage(png)).data, sample(4, 4, true).data);
});

test('corrupt, truncated, unknown and oversized inputs are BridgeErrors', async () => {
  const png = await encodePng(sample(20, 20, false));
  const flipped = png.slice();
  flipped[png.length - 20] = flipped[png.length - 20]! ^ 0xff;
  await rejects(decodeImage(flipped), 'image_invalid');
  await rejects(decodeImage(png.subarray(0, png.length - 30)), 'image_invalid');
  await rejects(decodeImage(png.subarray(0, 20)), 'image_invalid');
  await rejects(decodeImage(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), 'image_invalid');
  await rejects(decodeImage(new Uint8Array(0)), 'image_invalid');
  const jpegHead = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]);
  await rejects(decodeImage(jpegHead), 'image_invalid');
  const err = await rejects(decodeImage(png, { maxPixels: 399, field: 'init_image' }), 'limit_exceeded');
  assert.equal(err.field, 'init_image');
  const jpg = await encodeJpeg(sample(20, 20, true));
  await rejects(decodeImage(jpg, { maxPixels: 399 }), 'limit_exceeded');
  await rejects(encodeJpeg(sample(2, 2, true), { quality: 0 }), 'invalid_field');
  await rejects(encodePng({ width: 2, height: 2, data: new Uint8Array(3) }), 'image_invalid');
});

test('animated WebP keeps every frame, its delay and the loop count', async () => {
  const frames = [0, 1, 2].map((k) => {
    const data = new Uint8Array(16 * 8 * 4);
    for (let i = 0; i < 16 * 8; i++) data.set([k * 100, 50, 200 - k * 90, 255], i * 4);
    return { width: 16, height: 8, data };
  });
  const webp = await encodeAnimatedWebp(frames, { lossless: true, delayMs: 200, loops: 3 });
  assert.equal(sniffFormat(webp), 'webp');
  const meta = await sharp(webp, { animated: true }).metadata();
  assert.equal(meta.pages, 3);
  assert.equal(meta.pageHeight, 8);
  assert.deepEqual(meta.delay, [200, 200, 200]);
  assert.equal(meta.loop, 3);
  const { data } = await sharp(webp, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let k = 0; k < 3; k++) {
    const at = k * 16 * 8 * 4;
    assert.deepEqual([...data.subarray(at, at + 4)], [k * 100, 50, 200 - k * 90, 255], `frame ${k}`);
  }
  await rejects(encodeAnimatedWebp([]), 'invalid_field');
  await rejects(encodeAnimatedWebp([frames[0]!, { width: 8, height: 8, data: new Uint8Array(256) }]), 'image_invalid');
});
