/**
 * The two working pixel formats. RgbaImage is 8-bit RGBA with straight (not premultiplied) alpha,
 * rows top to bottom, no padding. Mask is 8-bit coverage, 255 = repaint / selected; intermediate
 * values are soft selection and are kept as they are.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { type Bounds, type Extent, checkInteger, checkPixelLimit, contains, boundsOfExtent, DEFAULT_MAX_PIXELS } from './geometry.js';

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Opaque pixels packed 3 bytes a pixel (what resizes take and give back for opaque images). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** An opaque image as RGBA (4 bytes a pixel, alpha ignored) or packed RGB (3 bytes a pixel). */
export type OpaquePixels = RgbaImage | RgbImage;

/** Bytes per pixel of an RGBA or packed RGB image; throws image_invalid naming the field otherwise. */
export function pixelStride(image: OpaquePixels, field = 'image'): 3 | 4 {
  const n = image.width * image.height;
  const ok = Number.isSafeInteger(image.width) && Number.isSafeInteger(image.height) && n > 0 && image.data instanceof Uint8Array;
  if (ok && image.data.length === n * 4) return 4;
  if (ok && image.data.length === n * 3) return 3;
  throw new BridgeError('image_invalid', `${field}: not an RGBA8 or RGB8 image with a matching buffer`, field);
}

function checkSize(width: number, height: number, field: string, maxPixels: number): void {
  checkInteger(width, `${field}.width`, 1);
  checkInteger(height, `${field}.height`, 1);
  checkPixelLimit({ width, height }, maxPixels, field);
}

export function createRgba(width: number, height: number, maxPixels = DEFAULT_MAX_PIXELS): RgbaImage {
  checkSize(width, height, 'image', maxPixels);
  return { width, height, data: new Uint8Array(width * height * 4) };
}

export function createMask(width: number, height: number, fill = 0, maxPixels = DEFAULT_MAX_PIXELS): Mask {
  checkSize(width, height, 'mask', maxPixels);
  checkInteger(fill, 'fill', 0, 255);
  const data = new Uint8Array(width * height);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

/** Checks shape and buffer length; throws image_invalid naming the field. */
export function assertRgba(image: RgbaImage, field = 'image'): void {
  const ok =
    image !== null &&
    typeof image === 'object' &&
    Number.isSafeInteger(image.width) &&
    Number.isSafeInteger(image.height) &&
    image.width > 0 &&
    image.height > 0 &&
    image.data instanceof Uint8Array &&
    image.data.length === image.width * image.height * 4;
  if (!ok) {
    const size = image && typeof image === 'object' ? `${String(image.width)}×${String(image.height)}` : 'none';
    throw new BridgeError('image_invalid', `${field}: not an RGBA8 image with a matching buffer (${size})`, field);
  }
}

/** Checks shape and buffer length; throws mask_invalid naming the field. */
export function assertMask(mask: Mask, field = 'mask'): void {
  const ok =
    mask !== null &&
    typeof mask === 'object' &&
    Number.isSafeInteger(mask.width) &&
    Number.isSafeInteger(mask.height) &&
    mask.width > 0 &&
    mask.height > 0 &&
    mask.data instanceof Uint8Array &&
    mask.data.length === mask.width * mask.height;
  if (!ok) throw new BridgeError('mask_invalid', `${field}: not an 8-bit mask with a matching buffer`, field);
}

/** Throws mask_invalid unless the mask has exactly the given size. */
export function assertMaskSize(mask: Mask, size: Extent, field = 'mask'): void {
  assertMask(mask, field);
  if (mask.width !== size.width || mask.height !== size.height) {
    throw new BridgeError(
      'mask_invalid',
      `${field}: mask is ${mask.width}×${mask.height} but the image is ${size.width}×${size.height}`,
      field,
    );
  }
}

function checkCrop(size: Extent, region: Bounds, field: string): void {
  if (!contains(boundsOfExtent(size), region) || region.width <= 0 || region.height <= 0) {
    throw invalidField(
      field,
      `crop ${region.x},${region.y} ${region.width}×${region.height} is not inside ${size.width}×${size.height}`,
    );
  }
}

export function cropRgba(image: RgbaImage, region: Bounds, field = 'region'): RgbaImage {
  assertRgba(image);
  checkCrop(image, region, field);
  const out = new Uint8Array(region.width * region.height * 4);
  const rowBytes = region.width * 4;
  for (let y = 0; y < region.height; y++) {
    const src = ((region.y + y) * image.width + region.x) * 4;
    out.set(image.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { width: region.width, height: region.height, data: out };
}

export function cropMask(mask: Mask, region: Bounds, field = 'region'): Mask {
  assertMask(mask);
  checkCrop(mask, region, field);
  const out = new Uint8Array(region.width * region.height);
  for (let y = 0; y < region.height; y++) {
    const src = (region.y + y) * mask.width + region.x;
    out.set(mask.data.subarray(src, src + region.width), y * region.width);
  }
  return { width: region.width, height: region.height, data: out };
}

export function cloneRgba(image: RgbaImage): RgbaImage {
  return { width: image.width, height: image.height, data: image.data.slice() };
}

/** True when every alpha value is 255 (lets resize and encode skip alpha work). */
export function isOpaque(image: RgbaImage): boolean {
  const d = image.data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 255) return false;
  return true;
}

/** Whether typed-array words are little-endian here, so a pixel's RGBA bytes are one Uint32 0xAABBGGRR. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The pixels of `data` as Uint32 words when the platform and alignment allow it. */
export function pixelWords(data: Uint8Array): Uint32Array | undefined {
  return LITTLE_ENDIAN && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : undefined;
}

/**
 * The colour of `region` (default: all) of an image packed as RGB8, or undefined when a pixel
 * there is not fully opaque. One pass: the alpha check rides along with the copy.
 */
export function opaqueToRgb(image: RgbaImage, region: Bounds = boundsOfExtent(image)): Uint8Array | undefined {
  checkCrop(image, region, 'region');
  const { x: rx, y: ry, width: rw, height: rh } = region;
  const rgb = new Uint8Array(rw * rh * 3);
  const d = image.data;
  const words = pixelWords(d);
  let o = 0;
  if (words) {
    let alpha = 0xff000000 | 0;
    for (let y = 0; y < rh; y++) {
      for (let s = (ry + y) * image.width + rx, end = s + rw; s < end; s++, o += 3) {
        const v = words[s]!;
        alpha &= v;
        rgb[o] = v;
        rgb[o + 1] = v >>> 8;
        rgb[o + 2] = v >>> 16;
      }
    }
    return alpha === (0xff000000 | 0) ? rgb : undefined;
  }
  let alpha = 255;
  for (let y = 0; y < rh; y++) {
    for (let s = ((ry + y) * image.width + rx) * 4, end = s + rw * 4; s < end; s += 4, o += 3) {
      alpha &= d[s + 3]!;
      rgb[o] = d[s]!;
      rgb[o + 1] = d[s + 1]!;
      rgb[o + 2] = d[s + 2]!;
    }
  }
  return alpha === 255 ? rgb : undefined;
}

/** Packed RGB8 → opaque RGBA8 bytes. */
export function rgbToRgba(rgb: Uint8Array): Uint8Array {
  const n = Math.floor(rgb.length / 3);
  const out = new Uint8Array(n * 4);
  const words = pixelWords(out);
  if (words) {
    for (let p = 0, s = 0; p < n; p++, s += 3) words[p] = rgb[s]! | (rgb[s + 1]! << 8) | (rgb[s + 2]! << 16) | 0xff000000;
    return out;
  }
  for (let s = 0, o = 0; o < out.length; s += 3, o += 4) {
    out[o] = rgb[s]!;
    out[o + 1] = rgb[s + 1]!;
    out[o + 2] = rgb[s + 2]!;
    out[o + 3] = 255;
  }
  return out;
}
