import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { BridgeError } from '@latent-bridge/shared';
import { crc32 } from '@latent-bridge/shared';
import { decodeImage, readPngParameters, type RgbaImage } from '../image/index.js';
import { encodeApng } from './apng.js';

interface RawChunk {
  type: string;
  data: Uint8Array;
}

/** A minimal independent chunk reader that checks every CRC. */
function readChunks(png: Uint8Array): RawChunk[] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: RawChunk[] = [];
  for (let pos = 8; pos < png.length; ) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    assert.equal(view.getUint32(pos + 8 + length), crc32(png, pos + 4, pos + 8 + length), `${type} CRC`);
    out.push({ type, data: png.subarray(pos + 8, pos + 8 + length) });
    pos += 12 + length;
  }
  return out;
}

/** Inflates and un-filters 8-bit RGBA scanlines (only the filters the writer may use: None, Sub). */
function pixels(compressed: Uint8Array, width: number, height: number): Uint8Array {
  const raw = inflateSync(compressed);
  const stride = width * 4;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const left = x >= 4 ? out[y * stride + x - 4]! : 0;
      out[y * stride + x] = filter === 1 ? (v + left) & 0xff : v;
    }
  }
  return out;
}

function frame(width: number, height: number, seed: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101) % 256;
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width, height, data };
}

test('APNG: chunk order, sequence numbers, timing and every frame\'s pixels', async () => {
  const frames = [frame(8, 6, 1), frame(8, 6, 2), frame(8, 6, 3)];
  const apng = encodeApng(frames, { delayMs: 250, loops: 2, text: [{ keyword: 'parameters', text: 'red\nSteps: 4, Seed: 1' }] });
  const chunks = readChunks(apng);
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'acTL', 'tEXt', 'fcTL', 'IDAT', 'fcTL', 'fdAT', 'fcTL', 'fdAT', 'IEND']);
  const u32 = (d: Uint8Array, at: number) => new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(at);
  const u16 = (d: Uint8Array, at: number) => new DataView(d.buffer, d.byteOffset, d.byteLength).getUint16(at);
  const acTL = chunks[1]!.data;
  assert.deepEqual([u32(acTL, 0), u32(acTL, 4)], [3, 2]);
  const sequence = chunks.filter((c) => c.type === 'fcTL' || c.type === 'fdAT').map((c) => u32(c.data, 0));
  assert.deepEqual(sequence, [0, 1, 2, 3, 4]);
  for (const fc of chunks.filter((c) => c.type === 'fcTL')) {
    assert.deepEqual([u32(fc.data, 4), u32(fc.data, 8), u32(fc.data, 12), u32(fc.data, 16)], [8, 6, 0, 0]);
    assert.deepEqual([u16(fc.data, 20), u16(fc.data, 22), fc.data[24], fc.data[25]], [250, 1000, 0, 0]);
  }
  assert.deepEqual(pixels(chunks[4]!.data, 8, 6), frames[0]!.data);
  assert.deepEqual(pixels(chunks[6]!.data.subarray(4), 8, 6), frames[1]!.data);
  assert.deepEqual(pixels(chunks[8]!.data.subarray(4), 8, 6), frames[2]!.data);
  // Readers without APNG support see frame 0 and the parameters.
  assert.deepEqual((await decodeImage(apng)).data, frames[0]!.data);
  assert.equal(readPngParameters(apng), 'red\nSteps: 4, Seed: 1');
});

test('APNG: bad input is refused with the field named', () => {
  const bad = (fn: () => unknown, field: string) =>
    assert.throws(fn, (e: unknown) => e instanceof BridgeError && e.field === field);
  bad(() => encodeApng([]), 'frames');
  bad(() => encodeApng([frame(8, 6, 1), frame(6, 8, 1)]), 'frames');
  bad(() => encodeApng([frame(8, 6, 1)], { delayMs: 0 }), 'delayMs');
  bad(() => encodeApng([frame(8, 6, 1)], { loops: -1 }), 'loops');
});
