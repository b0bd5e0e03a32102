import type { Rect } from './geometry.js';

/**
 * Pixel conversions between Photoshop's imaging formats and the wire formats. Photoshop's 16-bit
 * range is 0..32768 (ps-reference media/imaging.md); the wire uses 0..255 or 0..65535.
 */
export const PS16_MAX = 32768;

export function ps16To8(v: number): number {
  return Math.round((Math.min(PS16_MAX, Math.max(0, v)) * 255) / PS16_MAX);
}

export function to8Bit(data: ArrayLike<number>, componentSize: number): Uint8Array {
  if (componentSize === 8) return Uint8Array.from(data);
  const out = new Uint8Array(data.length);
  if (componentSize === 16) {
    for (let i = 0; i < data.length; i++) out[i] = ps16To8(data[i] ?? 0);
  } else {
    for (let i = 0; i < data.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, data[i] ?? 0)) * 255);
  }
  return out;
}

/**
 * Copies chunky pixels of `src` (at `srcRect`, `components` per pixel, 3 = opaque RGB) into an
 * RGBA buffer covering `dest`. Pixels `src` does not cover stay transparent: that is how a
 * trimmed getPixels answer is padded back to the requested region.
 */
export function placeRgba(src: Uint8Array, components: number, srcRect: Rect, dest: Rect, out?: Uint8Array): Uint8Array {
  const target = out ?? new Uint8Array(dest.width * dest.height * 4);
  for (let y = 0; y < srcRect.height; y++) {
    const dy = srcRect.top + y - dest.top;
    if (dy < 0 || dy >= dest.height) continue;
    for (let x = 0; x < srcRect.width; x++) {
      const dx = srcRect.left + x - dest.left;
      if (dx < 0 || dx >= dest.width) continue;
      const s = (y * srcRect.width + x) * components;
      const d = (dy * dest.width + dx) * 4;
      target[d] = src[s] ?? 0;
      target[d + 1] = src[s + 1] ?? 0;
      target[d + 2] = src[s + 2] ?? 0;
      target[d + 3] = components === 4 ? (src[s + 3] ?? 0) : 255;
    }
  }
  return target;
}

/** One-component version of placeRgba, keeping the sample type (masks at their own depth). */
export function placeGray<T extends Uint8Array | Uint16Array>(src: T, srcRect: Rect, dest: Rect, out: T): T {
  for (let y = 0; y < srcRect.height; y++) {
    const dy = srcRect.top + y - dest.top;
    if (dy < 0 || dy >= dest.height) continue;
    for (let x = 0; x < srcRect.width; x++) {
      const dx = srcRect.left + x - dest.left;
      if (dx < 0 || dx >= dest.width) continue;
      out[dy * dest.width + dx] = src[y * srcRect.width + x] ?? 0;
    }
  }
  return out;
}

/** Bilinear resize of 8-bit interleaved pixels (results fitted to their region, big sources shrunk). */
export function resizeChannels(src: Uint8Array, channels: number, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  if (sw === dw && sh === dh) return src;
  const out = new Uint8Array(dw * dh * channels);
  for (let y = 0; y < dh; y++) {
    const fy = Math.max(0, Math.min(sh - 1, ((y + 0.5) * sh) / dh - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.max(0, Math.min(sw - 1, ((x + 0.5) * sw) / dw - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * sw + x0) * channels + c] ?? 0;
        const b = src[(y0 * sw + x1) * channels + c] ?? 0;
        const d = src[(y1 * sw + x0) * channels + c] ?? 0;
        const e = src[(y1 * sw + x1) * channels + c] ?? 0;
        const top = a + (b - a) * wx;
        const bottom = d + (e - d) * wx;
        out[(y * dw + x) * channels + c] = Math.round(top + (bottom - top) * wy);
      }
    }
  }
  return out;
}

export function resizeRgba(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  return resizeChannels(src, 4, sw, sh, dw, dh);
}

/** The largest size with the same aspect as `size` and at most `maxPixels` pixels. */
export function fitWithin(size: { width: number; height: number }, maxPixels: number): { width: number; height: number } {
  const pixels = size.width * size.height;
  if (pixels <= maxPixels) return { width: size.width, height: size.height };
  const scale = Math.sqrt(maxPixels / pixels);
  return { width: Math.max(1, Math.floor(size.width * scale)), height: Math.max(1, Math.floor(size.height * scale)) };
}

/** RGBA8 → RGB8, matted on white where transparent (encodeImageData takes RGB without alpha). */
export function rgbaToRgbOnWhite(rgba: Uint8Array): Uint8Array {
  const n = rgba.length >> 2;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const a = rgba[p * 4 + 3] ?? 255;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(((rgba[p * 4 + c] ?? 0) * a + 255 * (255 - a)) / 255);
  }
  return out;
}

/** 8-bit samples → Photoshop's 16-bit range 0..32768 (what putPixels takes for a 16-bit document). */
export function to16BitPs(data: Uint8Array): Uint16Array {
  return Uint16Array.from(data, (v) => Math.round((v * 32768) / 255));
}

/** The largest size with the aspect of `size` inside box×box (for showing images without CSS object-fit). */
export function fitBox(size: { width: number; height: number }, boxWidth: number, boxHeight: number): { width: number; height: number } {
  const scale = Math.min(boxWidth / size.width, boxHeight / size.height);
  return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}
