/**
 * Putting a generated region back into the document. Guarantees, for every pixel of the region:
 *   mask = 0   → the original pixel, bit for bit (it is never read into a formula, only left alone);
 *   mask = 255 → the overlay pixel exactly;
 *   otherwise  → a "source over" mix with t = mask / 255, done on premultiplied values so a
 *                transparent side contributes no colour, rounded to nearest in exact integer maths.
 * Pixels outside the region are untouched. Straight (non-premultiplied) alpha throughout.
 * Targets may be 8-bit or 16-bit (white point maxValue: 65535, or 32768 for Photoshop documents);
 * the overlay is always RGBA8 and is scaled with round(v · maxValue / 255).
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { type Extent, type Point, checkInteger } from './geometry.js';
import { assertMaskSize, assertRgba, cloneRgba, pixelWords, type Mask, type RgbaImage } from './pixels.js';

/** An RGBA image with 16-bit samples (straight alpha), as 16-bit editor documents deliver. */
export interface Rgba16Image {
  readonly width: number;
  readonly height: number;
  readonly data: Uint16Array;
}

function checkPlacement(target: Extent, overlay: Extent, at: Point): void {
  checkInteger(at.x, 'offset.x', Number.MIN_SAFE_INTEGER);
  checkInteger(at.y, 'offset.y', Number.MIN_SAFE_INTEGER);
  if (at.x < 0 || at.y < 0 || at.x + overlay.width > target.width || at.y + overlay.height > target.height) {
    throw invalidField(
      'offset',
      `a ${overlay.width}×${overlay.height} region at ${at.x},${at.y} does not fit in ${target.width}×${target.height}`,
    );
  }
}

/** round(p / q) for non-negative integers, exact for the magnitudes used here. */
function div(p: number, q: number): number {
  return Math.floor((2 * p + q) / (2 * q));
}

/**
 * Mixes colour (c1, alpha a1, both already at the target's scale) over target pixel o with
 * coverage 0 < cov < 255, source-over on premultiplied values.
 */
function mixPixel(target: Uint8Array | Uint16Array, o: number, r1: number, g1: number, b1: number, a1: number, cov: number): void {
  const keep = 255 - cov;
  const a0 = target[o + 3]!;
  const wa0 = a0 * keep;
  const wa1 = a1 * cov;
  const den = wa0 + wa1;
  const r0 = target[o]!;
  const g0 = target[o + 1]!;
  const b0 = target[o + 2]!;
  // Both sides fully transparent: the colour is invisible, blend it plainly so it stays defined.
  if (den === 0) {
    target[o] = div(r0 * keep + r1 * cov, 255);
    target[o + 1] = div(g0 * keep + g1 * cov, 255);
    target[o + 2] = div(b0 * keep + b1 * cov, 255);
  } else {
    target[o] = div(r0 * wa0 + r1 * wa1, den);
    target[o + 1] = div(g0 * wa0 + g1 * wa1, den);
    target[o + 2] = div(b0 * wa0 + b1 * wa1, den);
  }
  target[o + 3] = div(den, 255);
}

function blendInto(target: Uint8Array | Uint16Array, tw: number, overlay: RgbaImage, mask: Mask, at: Point, maxValue: number): void {
  const scale = new Uint16Array(256);
  for (let v = 0; v < 256; v++) scale[v] = div(v * maxValue, 255);
  const src = overlay.data;
  const m = mask.data;
  const w = overlay.width;
  for (let y = 0; y < overlay.height; y++) {
    let o = ((at.y + y) * tw + at.x) * 4;
    let s = y * w * 4;
    for (let x = 0, i = y * w; x < w; x++, i++, o += 4, s += 4) {
      const cov = m[i]!;
      if (cov === 0) continue;
      const a1 = scale[src[s + 3]!]!;
      if (cov === 255) {
        target[o] = scale[src[s]!]!;
        target[o + 1] = scale[src[s + 1]!]!;
        target[o + 2] = scale[src[s + 2]!]!;
        target[o + 3] = a1;
        continue;
      }
      mixPixel(target, o, scale[src[s]!]!, scale[src[s + 1]!]!, scale[src[s + 2]!]!, a1, cov);
    }
  }
}

/** Composites overlay (region-sized, with a same-size coverage mask) into target at `at`, in place. */
export function compositeInto(target: RgbaImage, overlay: RgbaImage, mask: Mask, at: Point): void {
  assertRgba(target, 'target');
  assertRgba(overlay, 'overlay');
  assertMaskSize(mask, overlay);
  checkPlacement(target, overlay, at);
  blendInto(target.data, target.width, overlay, mask, at, 255);
}

/**
 * compositeInto for an opaque overlay given as packed RGB8 (3 bytes a pixel, `size` pixels), as a
 * resize hands it back: the same pixels as compositeInto of its RGBA form, without building it.
 */
export function compositeRgbInto(target: RgbaImage, rgb: Uint8Array, size: Extent, mask: Mask, at: Point): void {
  assertRgba(target, 'target');
  const { width: w, height: h } = size;
  if (!Number.isSafeInteger(w) || !Number.isSafeInteger(h) || w <= 0 || h <= 0 || rgb.length !== w * h * 3) {
    throw new BridgeError('image_invalid', `overlay: ${rgb.length} bytes are not ${w}×${h} RGB`, 'overlay');
  }
  assertMaskSize(mask, size);
  checkPlacement(target, size, at);
  const t = target.data;
  const words = pixelWords(t);
  const m = mask.data;
  for (let y = 0; y < h; y++) {
    const row = (at.y + y) * target.width + at.x;
    for (let x = 0, i = y * w, s = i * 3; x < w; x++, i++, s += 3) {
      const cov = m[i]!;
      if (cov === 0) continue;
      const p = row + x;
      if (cov !== 255) mixPixel(t, p * 4, rgb[s]!, rgb[s + 1]!, rgb[s + 2]!, 255, cov);
      else if (words) words[p] = rgb[s]! | (rgb[s + 1]! << 8) | (rgb[s + 2]! << 16) | 0xff000000;
      else t.set([rgb[s]!, rgb[s + 1]!, rgb[s + 2]!, 255], p * 4);
    }
  }
}

/** As compositeInto, returning a new image and leaving the original as it was. */
export function composite(original: RgbaImage, overlay: RgbaImage, mask: Mask, at: Point): RgbaImage {
  assertRgba(original, 'original');
  const out = cloneRgba(original);
  compositeInto(out, overlay, mask, at);
  return out;
}

/** compositeInto for a 16-bit target whose white point is maxValue (65535, or 32768 for Photoshop). */
export function compositeInto16(target: Rgba16Image, overlay: RgbaImage, mask: Mask, at: Point, maxValue = 65535): void {
  const ok =
    target &&
    target.data instanceof Uint16Array &&
    Number.isSafeInteger(target.width) &&
    Number.isSafeInteger(target.height) &&
    target.width > 0 &&
    target.height > 0 &&
    target.data.length === target.width * target.height * 4;
  if (!ok) throw new BridgeError('image_invalid', 'target: not a 16-bit RGBA image with a matching buffer', 'target');
  checkInteger(maxValue, 'maxValue', 255, 65535);
  assertRgba(overlay, 'overlay');
  assertMaskSize(mask, overlay);
  checkPlacement(target, overlay, at);
  blendInto(target.data, target.width, overlay, mask, at, maxValue);
}

/**
 * Straight-alpha image over an opaque background colour. Use before rgbaToChw: the model sees only
 * RGB, and the colour stored under transparent pixels is arbitrary (often black).
 */
export function flattenAlpha(image: RgbaImage, background: { r: number; g: number; b: number }): RgbaImage {
  assertRgba(image);
  const bg = [background.r, background.g, background.b];
  bg.forEach((v, i) => checkInteger(v, `background.${'rgb'[i]!}`, 0, 255));
  const d = image.data;
  const out = new Uint8Array(d.length);
  for (let o = 0; o < d.length; o += 4) {
    const a = d[o + 3]!;
    const k = 255 - a;
    out[o] = a === 255 ? d[o]! : div(d[o]! * a + bg[0]! * k, 255);
    out[o + 1] = a === 255 ? d[o + 1]! : div(d[o + 1]! * a + bg[1]! * k, 255);
    out[o + 2] = a === 255 ? d[o + 2]! : div(d[o + 2]! * a + bg[2]! * k, 255);
    out[o + 3] = 255;
  }
  return { width: image.width, height: image.height, data: out };
}
