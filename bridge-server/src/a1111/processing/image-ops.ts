/**
 * A1111's image handling around a run (modules/images.py, modules/upscaler.py): flatten over the
 * background colour, resize_image's modes (0 just resize, 1 crop and resize, 2 resize and fill),
 * crops that pad with black like PIL's, and the built-in upscalers None, Lanczos and Nearest
 * (Upscaler.upscale: up to three passes of the upscaler, then a Lanczos resize to a multiple of 8).
 * Resampling goes through the image module (sharp); PIL's Lanczos and sharp's lanczos3 differ in
 * the last bit, not in kind.
 */
import { resizeMask, resizeRgba, type Mask, type RgbaImage } from '../../image/index.js';
import { pythonError } from '../errors.js';

/** The image upscalers A1111 always has (modules/upscaler.py), in its list order. */
export const IMAGE_UPSCALERS = ['None', 'Lanczos', 'Nearest'] as const;

/** "#rrggbb" (A1111's img2img_background_color) → RGB; anything else is white. */
export function parseColour(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (m === null) return [255, 255, 255];
  return [Number.parseInt(m[1] as string, 16), Number.parseInt(m[2] as string, 16), Number.parseInt(m[3] as string, 16)];
}

/** images.flatten: RGBA pasted over the background colour through its own alpha, opaque result. */
export function flatten(img: RgbaImage, background: [number, number, number]): RgbaImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i += 4) {
    const a = img.data[i + 3] as number;
    for (let c = 0; c < 3; c++) {
      out[i + c] = a === 255 ? (img.data[i + c] as number) : Math.round(((img.data[i + c] as number) * a + background[c]! * (255 - a)) / 255);
    }
    out[i + 3] = 255;
  }
  return { width: img.width, height: img.height, data: out };
}

/** PIL's crop: pixels outside the image are transparent black. */
export function cropImage(img: RgbaImage, x1: number, y1: number, x2: number, y2: number): RgbaImage {
  const w = x2 - x1;
  const h = y2 - y1;
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const sy = y1 + y;
    if (sy < 0 || sy >= img.height) continue;
    for (let x = 0; x < w; x++) {
      const sx = x1 + x;
      if (sx < 0 || sx >= img.width) continue;
      out.set(img.data.subarray((sy * img.width + sx) * 4, (sy * img.width + sx) * 4 + 4), (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data: out };
}

export function cropMaskTo(mask: Mask, x1: number, y1: number, x2: number, y2: number): Mask {
  const w = x2 - x1;
  const h = y2 - y1;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = y1 + y;
    if (sy < 0 || sy >= mask.height) continue;
    for (let x = 0; x < w; x++) {
      const sx = x1 + x;
      if (sx >= 0 && sx < mask.width) out[y * w + x] = mask.data[sy * mask.width + sx] as number;
    }
  }
  return { width: w, height: h, data: out };
}

/** Upscaler.upscale(img, scale): the upscaler up to three times towards the target, then Lanczos to it. */
export async function upscaleBy(img: RgbaImage, scale: number, upscaler: string): Promise<RgbaImage> {
  const destW = Math.trunc(Math.floor((img.width * scale) / 8) * 8);
  const destH = Math.trunc(Math.floor((img.height * scale) / 8) * 8);
  let cur = img;
  if (upscaler !== 'None') {
    for (let i = 0; i < 3; i++) {
      if (cur.width >= destW && cur.height >= destH && (i > 0 || scale !== 1)) break;
      const w = Math.trunc(cur.width * scale);
      const h = Math.trunc(cur.height * scale);
      if (w === cur.width && h === cur.height) break;
      cur = await resizeRgba(cur, w, h, upscaler === 'Nearest' ? 'nearest' : 'lanczos3');
    }
  }
  if (cur.width !== destW || cur.height !== destH) cur = await resizeRgba(cur, Math.max(1, destW), Math.max(1, destH), 'lanczos3');
  return cur;
}

/** resize_image's inner resize(): the named upscaler when enlarging, then Lanczos to the exact size. */
async function resizeTo(img: RgbaImage, w: number, h: number, upscaler: string | undefined): Promise<RgbaImage> {
  if (upscaler === undefined || upscaler === 'None') return resizeRgba(img, w, h, 'lanczos3');
  if (!(IMAGE_UPSCALERS as readonly string[]).includes(upscaler)) throw pythonError('AssertionError', `could not find upscaler named ${upscaler}`);
  const scale = Math.max(w / img.width, h / img.height);
  let cur = img;
  if (scale > 1) cur = await upscaleBy(img, scale, upscaler);
  return cur.width !== w || cur.height !== h ? resizeRgba(cur, w, h, 'lanczos3') : cur;
}

function blank(w: number, h: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width: w, height: h, data };
}

function paste(dst: RgbaImage, src: RgbaImage, x0: number, y0: number): void {
  for (let y = 0; y < src.height; y++) {
    const dy = y0 + y;
    if (dy < 0 || dy >= dst.height) continue;
    for (let x = 0; x < src.width; x++) {
      const dx = x0 + x;
      if (dx < 0 || dx >= dst.width) continue;
      dst.data.set(src.data.subarray((y * src.width + x) * 4, (y * src.width + x) * 4 + 4), (dy * dst.width + dx) * 4);
    }
  }
}

/** images.resize_image(mode, im, width, height, upscaler_name) for opaque images. */
export async function resizeImage(mode: number, img: RgbaImage, width: number, height: number, upscaler?: string): Promise<RgbaImage> {
  if (mode === 0 || mode === 3) return resizeTo(img, width, height, upscaler);
  const ratio = width / height;
  const srcRatio = img.width / img.height;
  if (mode === 1) {
    const srcW = ratio > srcRatio ? width : Math.floor((img.width * height) / img.height);
    const srcH = ratio <= srcRatio ? height : Math.floor((img.height * width) / img.width);
    const resized = await resizeTo(img, srcW, srcH, upscaler);
    const res = blank(width, height);
    paste(res, resized, Math.floor(width / 2) - Math.floor(srcW / 2), Math.floor(height / 2) - Math.floor(srcH / 2));
    return res;
  }
  const srcW = ratio < srcRatio ? width : Math.floor((img.width * height) / img.height);
  const srcH = ratio >= srcRatio ? height : Math.floor((img.height * width) / img.width);
  const resized = await resizeTo(img, srcW, srcH, upscaler);
  const res = blank(width, height);
  const x0 = Math.floor(width / 2) - Math.floor(srcW / 2);
  const y0 = Math.floor(height / 2) - Math.floor(srcH / 2);
  paste(res, resized, x0, y0);
  // The empty bands are filled with the resized image's edge rows or columns stretched across them.
  if (ratio < srcRatio) {
    for (let y = 0; y < height; y++) {
      if (y >= y0 && y < y0 + srcH) continue;
      const sy = y < y0 ? 0 : srcH - 1;
      const from = Math.max(0, Math.min(srcH - 1, sy)) * srcW * 4;
      res.data.set(resized.data.subarray(from, from + srcW * 4), (y * width + x0) * 4);
    }
  } else if (ratio > srcRatio) {
    for (let y = 0; y < height; y++) {
      const row = Math.max(0, Math.min(srcH - 1, y - y0));
      for (let x = 0; x < width; x++) {
        if (x >= x0 && x < x0 + srcW) continue;
        const sx = x < x0 ? 0 : srcW - 1;
        res.data.set(resized.data.subarray((row * srcW + sx) * 4, (row * srcW + sx) * 4 + 4), (y * width + x) * 4);
      }
    }
  }
  return res;
}

/** resize_image for a mask ("L" images: always Lanczos, never an upscaler). */
export async function resizeMaskImage(mode: number, mask: Mask, width: number, height: number): Promise<Mask> {
  const asImage: RgbaImage = { width: mask.width, height: mask.height, data: new Uint8Array(mask.width * mask.height * 4) };
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i] as number;
    asImage.data.set([v, v, v, 255], i * 4);
  }
  if (mode === 0 || mode === 3) return resizeMask(mask, width, height, 'lanczos3');
  const img = await resizeImage(mode, asImage, width, height);
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i * 4] as number;
  return { width, height, data: out };
}
