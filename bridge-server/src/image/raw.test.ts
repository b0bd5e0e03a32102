import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import { decodeRaw, encodeRaw } from './raw.js';

function errorOf(fn: () => unknown): BridgeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BridgeError) return err;
    throw err;
  }
  throw new Error('expected a BridgeError');
}

test('16-bit samples map to round(v·255/65535), including values just around the rounding points', () => {
  // 128 → 0.4980 → 0; 129 → 0.5019 → 1; 32767 → 127.498 → 127; 32768 → 127.502 → 128; 65407 → 254.5019 → 255
  const values = [0, 128, 129, 257, 32767, 32768, 65406, 65407, 65535];
  const data = new Uint16Array(values.length * 4);
  values.forEach((v, i) => data.set([v, v, v, 65535], i * 4));
  const img = decodeRaw({ width: values.length, height: 1, channels: 4, bitsPerChannel: 16, data });
  const reds = values.map((_, i) => img.data[i * 4]);
  assert.deepEqual(reds, [0, 0, 1, 1, 127, 128, 254, 255, 255]);
  for (const v of values) assert.equal(Math.round((v * 255) / 65535), reds[values.indexOf(v)]);
});

test('16-bit bytes in either byte order, RGB gets opaque alpha', () => {
  const le = new Uint8Array([0x00, 0x80, 0xff, 0xff, 0x01, 0x01]); // 32768, 65535, 257
  const be = new Uint8Array([0x80, 0x00, 0xff, 0xff, 0x01, 0x01]);
  const a = decodeRaw({ width: 1, height: 1, channels: 3, bitsPerChannel: 16, data: le });
  const b = decodeRaw({ width: 1, height: 1, channels: 3, bitsPerChannel: 16, data: be, littleEndian: false });
  assert.deepEqual([...a.data], [128, 255, 1, 255]);
  assert.deepEqual([...b.data], [128, 255, 1, 255]);
});

test("Photoshop's 0..32768 range uses maxValue 32768", () => {
  const data = new Uint16Array([32768, 16384, 0, 32768, 64, 65, 0, 32768]);
  const img = decodeRaw({ width: 2, height: 1, channels: 4, bitsPerChannel: 16, data, maxValue: 32768 });
  // 16384 · 255 / 32768 = 127.5 exactly → 128; 64 → 0.498 → 0; 65 → 0.506 → 1
  assert.deepEqual([...img.data], [255, 128, 0, 255, 0, 1, 0, 255]);
});

test('grey and grey+alpha expand to RGBA; 8-bit RGBA is copied', () => {
  const g = decodeRaw({ width: 2, height: 1, channels: 1, bitsPerChannel: 8, data: new Uint8Array([7, 9]) });
  assert.deepEqual([...g.data], [7, 7, 7, 255, 9, 9, 9, 255]);
  const ga = decodeRaw({ width: 1, height: 1, channels: 2, bitsPerChannel: 8, data: new Uint8Array([7, 100]) });
  assert.deepEqual([...ga.data], [7, 7, 7, 100]);
  const src = new Uint8Array([1, 2, 3, 4]);
  const rgba = decodeRaw({ width: 1, height: 1, channels: 4, bitsPerChannel: 8, data: src });
  src[0] = 99;
  assert.equal(rgba.data[0], 1);
});

test('8 → 16 → 8 bit is the identity for every value and both white points', () => {
  const data = new Uint8Array(256 * 4);
  for (let v = 0; v < 256; v++) data.set([v, 255 - v, v, v], v * 4);
  const img = { width: 256, height: 1, data };
  for (const maxValue of [65535, 32768]) {
    const bytes = encodeRaw(img, { channels: 4, bitsPerChannel: 16, maxValue });
    const back = decodeRaw({ width: 256, height: 1, channels: 4, bitsPerChannel: 16, data: bytes, maxValue });
    assert.deepEqual(back.data, data);
  }
  const wide = encodeRaw(img, { channels: 3, bitsPerChannel: 16 });
  assert.equal(new DataView(wide.buffer).getUint16(6 * 200, true), 200 * 257);
});

test('wrong buffer lengths, channels and limits are reported, not crashed on', () => {
  const short = errorOf(() => decodeRaw({ width: 2, height: 2, channels: 4, bitsPerChannel: 8, data: new Uint8Array(15) }));
  assert.equal(short.code, 'image_invalid');
  assert.equal(short.field, 'data');
  const odd = errorOf(() => decodeRaw({ width: 1, height: 1, channels: 3, bitsPerChannel: 16, data: new Uint8Array(5) }));
  assert.equal(odd.code, 'image_invalid');
  const ch = errorOf(() => decodeRaw({ width: 1, height: 1, channels: 5 as 4, bitsPerChannel: 8, data: new Uint8Array(5) }));
  assert.equal(ch.field, 'channels');
  const big = errorOf(() => decodeRaw({ width: 100, height: 100, channels: 4, bitsPerChannel: 8, data: new Uint8Array(4) }, 1000));
  assert.equal(big.code, 'limit_exceeded');
  const bits = errorOf(() => decodeRaw({ width: 1, height: 1, channels: 4, bitsPerChannel: 12 as 8, data: new Uint8Array(4) }));
  assert.equal(bits.field, 'bitsPerChannel');
});
