/**
 * Raw pixel buffers from the editors ↔ RgbaImage. Pure: the plugins send uncompressed pixels and
 * a per-call trip through sharp would only add latency. 16-bit values map to 8-bit as
 * round(v · 255 / maxValue); maxValue is 65535 for true 16-bit data (GIMP) and 32768 for
 * Photoshop's "16-bit" mode, whose range is 0..32768.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { checkInteger, checkPixelLimit, DEFAULT_MAX_PIXELS } from './geometry.js';
import { assertRgba, type RgbaImage } from './pixels.js';

/** 1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA. */
export type RawChannels = 1 | 2 | 3 | 4;

export interface RawPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: RawChannels;
  readonly bitsPerChannel: 8 | 16;
  /** 8-bit samples, or 16-bit samples either as a Uint16Array or as bytes (see littleEndian). */
  readonly data: Uint8Array | Uint16Array;
  /** White point of 16-bit samples (default 65535). Ignored for 8-bit. */
  readonly maxValue?: number;
  /** Byte order when 16-bit samples arrive as a Uint8Array (default true, little-endian). */
  readonly littleEndian?: boolean;
}

export interface RawEncodeOptions {
  readonly channels: 3 | 4;
  readonly bitsPerChannel: 8 | 16;
  readonly maxValue?: number;
  readonly littleEndian?: boolean;
}

const lutCache = new Map<number, Uint8Array>();

/** to8[v] = round(v · 255 / maxValue); exact integer arithmetic, values above maxValue clamp to 255. */
function to8Lut(maxValue: number): Uint8Array {
  let lut = lutCache.get(maxValue);
  if (!lut) {
    lut = new Uint8Array(65536).fill(255);
    for (let v = 0; v <= maxValue; v++) lut[v] = Math.floor((v * 510 + maxValue) / (2 * maxValue));
    lutCache.set(maxValue, lut);
  }
  return lut;
}

function samples16(raw: RawPixels, count: number): Uint16Array {
  const { data } = raw;
  if (data instanceof Uint16Array) {
    if (data.length !== count) throw lengthError(raw, data.length, count, 'samples');
    return data;
  }
  if (data.length !== count * 2) throw lengthError(raw, data.length, count * 2, 'bytes');
  const le = raw.littleEndian ?? true;
  const out = new Uint16Array(count);
  for (let i = 0, b = 0; i < count; i++, b += 2) {
    const lo = le ? data[b]! : data[b + 1]!;
    const hi = le ? data[b + 1]! : data[b]!;
    out[i] = lo | (hi << 8);
  }
  return out;
}

function lengthError(raw: RawPixels, got: number, want: number, unit: string): BridgeError {
  return new BridgeError(
    'image_invalid',
    `data: ${raw.width}×${raw.height}×${raw.channels} at ${raw.bitsPerChannel} bits needs ${want} ${unit}, got ${got}`,
    'data',
  );
}

export function decodeRaw(raw: RawPixels, maxPixels = DEFAULT_MAX_PIXELS): RgbaImage {
  checkInteger(raw.width, 'width', 1);
  checkInteger(raw.height, 'height', 1);
  checkPixelLimit(raw, maxPixels, 'image');
  const ch = raw.channels;
  if (ch !== 1 && ch !== 2 && ch !== 3 && ch !== 4) throw invalidField('channels', 'must be 1, 2, 3 or 4');
  const n = raw.width * raw.height;
  const count = n * ch;
  let src: Uint8Array;
  if (raw.bitsPerChannel === 8) {
    if (!(raw.data instanceof Uint8Array)) throw invalidField('data', '8-bit samples must be a Uint8Array');
    if (raw.data.length !== count) throw lengthError(raw, raw.data.length, count, 'bytes');
    src = raw.data;
  } else if (raw.bitsPerChannel === 16) {
    const maxValue = checkInteger(raw.maxValue ?? 65535, 'maxValue', 255, 65535);
    const wide = samples16(raw, count);
    const lut = to8Lut(maxValue);
    src = new Uint8Array(count);
    for (let i = 0; i < count; i++) src[i] = lut[wide[i]!]!;
  } else {
    throw invalidField('bitsPerChannel', 'must be 8 or 16');
  }
  if (ch === 4) return { width: raw.width, height: raw.height, data: src === raw.data ? src.slice() : src };
  const out = new Uint8Array(n * 4);
  for (let p = 0, s = 0, o = 0; p < n; p++, s += ch, o += 4) {
    if (ch === 3) {
      out[o] = src[s]!;
      out[o + 1] = src[s + 1]!;
      out[o + 2] = src[s + 2]!;
      out[o + 3] = 255;
    } else {
      const g = src[s]!;
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
      out[o + 3] = ch === 2 ? src[s + 1]! : 255;
    }
  }
  return { width: raw.width, height: raw.height, data: out };
}

/**
 * RgbaImage → raw bytes for an editor. 8 → 16 bit is round(v · maxValue / 255), so decoding the
 * result again gives back exactly the same 8-bit values.
 */
export function encodeRaw(image: RgbaImage, options: RawEncodeOptions): Uint8Array {
  assertRgba(image);
  const ch = options.channels;
  if (ch !== 3 && ch !== 4) throw invalidField('channels', 'must be 3 or 4');
  const n = image.width * image.height;
  const d = image.data;
  if (options.bitsPerChannel === 8) {
    if (ch === 4) return d.slice();
    const out = new Uint8Array(n * 3);
    for (let p = 0, s = 0, o = 0; p < n; p++, s += 4, o += 3) {
      out[o] = d[s]!;
      out[o + 1] = d[s + 1]!;
      out[o + 2] = d[s + 2]!;
    }
    return out;
  }
  if (options.bitsPerChannel !== 16) throw invalidField('bitsPerChannel', 'must be 8 or 16');
  const maxValue = checkInteger(options.maxValue ?? 65535, 'maxValue', 255, 65535);
  const le = options.littleEndian ?? true;
  const to16 = new Uint16Array(256);
  for (let v = 0; v < 256; v++) to16[v] = Math.floor((v * 2 * maxValue + 255) / 510);
  const out = new Uint8Array(n * ch * 2);
  const view = new DataView(out.buffer);
  for (let p = 0, s = 0, o = 0; p < n; p++, s += 4) {
    for (let c = 0; c < ch; c++, o += 2) view.setUint16(o, to16[d[s + c]!]!, le);
  }
  return out;
}
