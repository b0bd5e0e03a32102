/**
 * Animated PNG (APNG) writer: IHDR, acTL, text chunks, then per frame an fcTL followed by IDAT
 * (frame 0, which is also the still image viewers without APNG support show) or fdAT (the rest).
 * Every frame covers the whole canvas and replaces it (dispose none, blend source), so frames are
 * independent images, as generated frames are.
 */
import { deflateSync } from 'node:zlib';
import { invalidField } from '@latent-bridge/shared';
import { crc32 } from '@latent-bridge/shared';
import { textChunk, type PngTextEntry, type RgbaImage } from '../image/index.js';

export interface ApngOptions {
  /** Display time of each frame in milliseconds, 1 … 65535 (default 125, i.e. 8 fps). */
  delayMs?: number;
  /** How many times to play; 0 (default) loops forever. */
  loops?: number;
  /** Text chunks, e.g. the A1111 "parameters" entry. */
  text?: readonly PngTextEntry[];
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v));
  return out;
}

/** Scanlines with the Sub filter (each byte minus the byte one pixel to the left), deflated. */
function compressPixels(image: RgbaImage): Uint8Array {
  const stride = image.width * 4;
  const raw = new Uint8Array((stride + 1) * image.height);
  for (let y = 0; y < image.height; y++) {
    const row = y * (stride + 1);
    raw[row] = 1;
    for (let x = 0; x < stride; x++) {
      const v = image.data[y * stride + x] as number;
      const left = x >= 4 ? (image.data[y * stride + x - 4] as number) : 0;
      raw[row + 1 + x] = (v - left) & 0xff;
    }
  }
  return deflateSync(raw, { level: 6 });
}

function frameControl(sequence: number, width: number, height: number, delayMs: number): Uint8Array {
  const data = new Uint8Array(26);
  const view = new DataView(data.buffer);
  view.setUint32(0, sequence);
  view.setUint32(4, width);
  view.setUint32(8, height);
  view.setUint32(12, 0);
  view.setUint32(16, 0);
  view.setUint16(20, delayMs);
  view.setUint16(22, 1000);
  data[24] = 0; // APNG_DISPOSE_OP_NONE
  data[25] = 0; // APNG_BLEND_OP_SOURCE
  return chunk('fcTL', data);
}

export function encodeApng(frames: readonly RgbaImage[], options: ApngOptions = {}): Uint8Array {
  const first = frames[0];
  if (first === undefined) throw invalidField('frames', 'an animation needs at least one frame');
  const { width, height } = first;
  for (const [i, f] of frames.entries()) {
    if (f.width !== width || f.height !== height) {
      throw invalidField('frames', `frame ${i + 1} is ${f.width}×${f.height}, the first is ${width}×${height}`);
    }
    if (f.data.length !== width * height * 4) throw invalidField('frames', `frame ${i + 1} has ${f.data.length} bytes, expected ${width * height * 4}`);
  }
  const delayMs = options.delayMs ?? 125;
  if (!Number.isInteger(delayMs) || delayMs < 1 || delayMs > 65535) throw invalidField('delayMs', `must be an integer from 1 to 65535, got ${delayMs}`);
  const loops = options.loops ?? 0;
  if (!Number.isInteger(loops) || loops < 0) throw invalidField('loops', `must be a non-negative integer, got ${loops}`);

  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bit, RGBA, deflate, adaptive filtering, no interlace
  const parts: Uint8Array[] = [SIGNATURE, chunk('IHDR', ihdr), chunk('acTL', u32s(frames.length, loops))];
  for (const entry of options.text ?? []) parts.push(textChunk(entry));
  let sequence = 0;
  for (const [i, f] of frames.entries()) {
    parts.push(frameControl(sequence++, width, height, delayMs));
    const pixels = compressPixels(f);
    if (i === 0) {
      parts.push(chunk('IDAT', pixels));
    } else {
      const data = new Uint8Array(4 + pixels.length);
      new DataView(data.buffer).setUint32(0, sequence++);
      data.set(pixels, 4);
      parts.push(chunk('fdAT', data));
    }
  }
  parts.push(chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
