/**
 * Resampling of images and masks. Filtered kernels run in sharp; nearest runs here because it is a
 * plain index copy and its sampling rule should be ours: source = floor((dst + 0.5) · in / out),
 * the pixel-centre rule PIL uses.
 *
 * Alpha: sharp premultiplies on resize, but it clips the overshoot of ringing kernels before
 * unpremultiplying and works in 8 bits, so edge pixels come out brighter or darker than the colour
 * they belong to. Images with any transparency are therefore resized here as premultiplied 16-bit
 * colour and a separate 16-bit alpha plane (sharp never sees an alpha channel), and unpremultiplied
 * with the unclipped alpha: a flat colour stays exactly that colour at every alpha > 0.
 */
import { sharp } from './vips.js';
import { BridgeError } from '@latent-bridge/shared';
import { checkInteger, checkPixelLimit, DEFAULT_MAX_PIXELS } from './geometry.js';
import { assertMask, assertRgba, opaqueToRgb, rgbToRgba, type Mask, type RgbaImage } from './pixels.js';

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

const KERNELS: ReadonlySet<string> = new Set(['nearest', 'linear', 'cubic', 'lanczos3']);
/** Alpha scale of the 16-bit path: 255 · 128 = 32640 leaves 2× headroom for kernel overshoot. */
const ALPHA_SCALE = 128;

function checkTarget(width: number, height: number, kernel: string, maxPixels: number): void {
  checkInteger(width, 'width', 1);
  checkInteger(height, 'height', 1);
  checkPixelLimit({ width, height }, maxPixels, 'size');
  if (!KERNELS.has(kernel)) throw new BridgeError('invalid_field', `kernel: unknown resize kernel ${kernel}`, 'kernel');
}

/** srcIndex[i] for each destination column/row under the pixel-centre rule. */
function nearestIndex(inSize: number, outSize: number): Uint32Array {
  const idx = new Uint32Array(outSize);
  for (let i = 0; i < outSize; i++) idx[i] = Math.min(inSize - 1, Math.floor(((2 * i + 1) * inSize) / (2 * outSize)));
  return idx;
}

function nearest(src: Uint8Array, w: number, h: number, bands: number, ow: number, oh: number): Uint8Array {
  const xs = nearestIndex(w, ow);
  const ys = nearestIndex(h, oh);
  const out = new Uint8Array(ow * oh * bands);
  let o = 0;
  for (let y = 0; y < oh; y++) {
    const row = ys[y]! * w;
    for (let x = 0; x < ow; x++) {
      const s = (row + xs[x]!) * bands;
      for (let b = 0; b < bands; b++) out[o++] = src[s + b]!;
    }
  }
  return out;
}

async function sharpResize<T extends Uint8Array | Uint16Array>(
  data: T,
  w: number,
  h: number,
  bands: 1 | 3,
  ow: number,
  oh: number,
  kernel: Exclude<ResizeKernel, 'nearest'>,
): Promise<Buffer> {
  const wide = data instanceof Uint16Array;
  // The explicit colourspace keeps sharp from converting grey or 16-bit data to 8-bit sRGB on output.
  const space = bands === 1 ? (wide ? 'grey16' : 'b-w') : wide ? 'rgb16' : 'srgb';
  try {
    return await sharp(data, { raw: { width: w, height: h, channels: bands } })
      .resize(ow, oh, { kernel, fit: 'fill' })
      .toColourspace(space)
      .raw({ depth: wide ? 'ushort' : 'uchar' })
      .toBuffer();
  } catch (err) {
    throw new BridgeError('internal', `resize failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function u16View(buf: Buffer): Uint16Array {
  const aligned = buf.byteOffset % 2 === 0 ? buf : Buffer.from(buf);
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
}

export async function resizeRgba(
  image: RgbaImage,
  width: number,
  height: number,
  kernel: ResizeKernel = 'lanczos3',
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<RgbaImage> {
  assertRgba(image);
  checkTarget(width, height, kernel, maxPixels);
  const { width: w, height: h, data } = image;
  if (w === width && h === height) return { width, height, data: data.slice() };
  if (kernel === 'nearest') return { width, height, data: nearest(data, w, h, 4, width, height) };
  const n = w * h;
  const rgb = opaqueToRgb(image);
  if (rgb) return { width, height, data: rgbToRgba(await resizeRgb(rgb, w, h, width, height, kernel, maxPixels)) };
  const colour = new Uint16Array(n * 3);
  const alpha = new Uint16Array(n);
  for (let p = 0, s = 0, o = 0; p < n; p++, s += 4, o += 3) {
    const a = data[s + 3]!;
    alpha[p] = a * ALPHA_SCALE;
    // round(c · a · 128 / 255) in integers
    colour[o] = Math.floor((data[s]! * a * 2 * ALPHA_SCALE + 255) / 510);
    colour[o + 1] = Math.floor((data[s + 1]! * a * 2 * ALPHA_SCALE + 255) / 510);
    colour[o + 2] = Math.floor((data[s + 2]! * a * 2 * ALPHA_SCALE + 255) / 510);
  }
  const [cBuf, aBuf] = await Promise.all([
    sharpResize(colour, w, h, 3, width, height, kernel),
    sharpResize(alpha, w, h, 1, width, height, kernel),
  ]);
  const c = u16View(cBuf);
  const a = u16View(aBuf);
  const out = new Uint8Array(width * height * 4);
  for (let p = 0, s = 0, o = 0; o < out.length; p++, s += 3, o += 4) {
    const av = a[p]!;
    out[o + 3] = Math.min(255, Math.round(av / ALPHA_SCALE));
    if (av === 0) continue;
    const k = 255 / av;
    out[o] = Math.min(255, Math.round(c[s]! * k));
    out[o + 1] = Math.min(255, Math.round(c[s + 1]! * k));
    out[o + 2] = Math.min(255, Math.round(c[s + 2]! * k));
  }
  return { width, height, data: out };
}

/** Resizes packed 8-bit RGB (3 bytes a pixel), as resizeRgba does an opaque image's colour. */
export async function resizeRgb(
  rgb: Uint8Array,
  w: number,
  h: number,
  width: number,
  height: number,
  kernel: ResizeKernel = 'lanczos3',
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<Uint8Array> {
  checkInteger(w, 'width', 1);
  checkInteger(h, 'height', 1);
  if (rgb.length !== w * h * 3) throw new BridgeError('image_invalid', `image: ${rgb.length} bytes are not ${w}×${h} RGB`, 'image');
  checkTarget(width, height, kernel, maxPixels);
  if (w === width && h === height) return rgb.slice();
  if (kernel === 'nearest') return nearest(rgb, w, h, 3, width, height);
  return sharpResize(rgb, w, h, 3, width, height, kernel);
}

/** Resizes a coverage mask; filtered kernels keep soft edges soft. */
export async function resizeMask(
  mask: Mask,
  width: number,
  height: number,
  kernel: ResizeKernel = 'linear',
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<Mask> {
  assertMask(mask);
  checkTarget(width, height, kernel, maxPixels);
  if (mask.width === width && mask.height === height) return { width, height, data: mask.data.slice() };
  if (kernel === 'nearest') return { width, height, data: nearest(mask.data, mask.width, mask.height, 1, width, height) };
  const res = await sharpResize(mask.data, mask.width, mask.height, 1, width, height, kernel);
  return { width, height, data: new Uint8Array(res.buffer, res.byteOffset, res.length) };
}
