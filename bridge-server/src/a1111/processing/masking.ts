/**
 * A1111's inpainting masks (modules/processing.py, modules/masking.py): the binary mask from a
 * mask image, cv2's separable Gaussian blur for mask_blur_x/y, the crop region of "only masked"
 * inpainting widened to the processing aspect, and masking.fill, which pre-fills the masked area
 * with blurred colours from around it (PIL's box-approximated Gaussian blur, premultiplied).
 */
import type { Mask, RgbaImage } from '../../image/index.js';

/** create_binary_mask: an RGBA mask with transparency is its alpha (thresholded at 128 with round), else its luma. */
export function binaryMask(img: RgbaImage, round: boolean): Mask {
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  let transparent = false;
  for (let i = 0; i < n; i++) if (img.data[i * 4 + 3] !== 255) transparent = true;
  for (let i = 0; i < n; i++) {
    const p = i * 4;
    if (transparent) {
      const a = img.data[p + 3] as number;
      out[i] = round ? (a > 128 ? 255 : 0) : a;
    } else {
      // PIL's "L": (R·19595 + G·38470 + B·7471 + 0x8000) >> 16
      out[i] = ((img.data[p] as number) * 19595 + (img.data[p + 1] as number) * 38470 + (img.data[p + 2] as number) * 7471 + 0x8000) >> 16;
    }
  }
  return { width: img.width, height: img.height, data: out };
}

export function invert(mask: Mask): Mask {
  return { width: mask.width, height: mask.height, data: mask.data.map((v) => 255 - v) };
}

/** cv2.getGaussianKernel(ksize, sigma) for sigma > 0. */
function gaussianKernel(ksize: number, sigma: number): Float64Array {
  const k = new Float64Array(ksize);
  const c = (ksize - 1) / 2;
  let sum = 0;
  for (let i = 0; i < ksize; i++) {
    const x = i - c;
    k[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += k[i] as number;
  }
  for (let i = 0; i < ksize; i++) k[i] = (k[i] as number) / sum;
  return k;
}

/** BORDER_REFLECT_101: …cba|abcd|dcb… */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j : 2 * n - 2 - j;
  return j;
}

/** cv2.GaussianBlur(mask, (k, 1), sigma) (horizontal) or (1, k) (vertical), k = 2·int(2.5σ + 0.5) + 1. */
export function gaussianBlur1d(mask: Mask, sigma: number, horizontal: boolean): Mask {
  if (!(sigma > 0)) return mask;
  const ksize = 2 * Math.trunc(2.5 * sigma + 0.5) + 1;
  const kernel = gaussianKernel(ksize, sigma);
  const half = (ksize - 1) / 2;
  const { width: w, height: h, data } = mask;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = 0; k < ksize; k++) {
        const o = k - half;
        const v = horizontal ? (data[y * w + reflect101(x + o, w)] as number) : (data[reflect101(y + o, h) * w + x] as number);
        acc += (kernel[k] as number) * v;
      }
      out[y * w + x] = Math.min(255, Math.max(0, Math.round(acc)));
    }
  }
  return { width: w, height: h, data: out };
}

/** Bounding box of the nonzero pixels (PIL getbbox), padded and clipped: get_crop_region_v2. */
export function cropRegion(mask: Mask, pad: number): [number, number, number, number] | undefined {
  let x1 = mask.width;
  let y1 = mask.height;
  let x2 = 0;
  let y2 = 0;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] === 0) continue;
      if (x < x1) x1 = x;
      if (y < y1) y1 = y;
      if (x + 1 > x2) x2 = x + 1;
      if (y + 1 > y2) y2 = y + 1;
    }
  }
  if (x2 <= x1 || y2 <= y1) return undefined;
  if (!pad) return [x1, y1, x2, y2];
  return [Math.max(x1 - pad, 0), Math.max(y1 - pad, 0), Math.min(x2 + pad, mask.width), Math.min(y2 + pad, mask.height)];
}

/** masking.expand_crop_region: the region widened to the processing size's aspect, kept inside the image. */
export function expandCropRegion(
  region: [number, number, number, number],
  processingWidth: number,
  processingHeight: number,
  imageWidth: number,
  imageHeight: number,
): [number, number, number, number] {
  let [x1, y1, x2, y2] = region;
  const ratioCrop = (x2 - x1) / (y2 - y1);
  const ratioProcessing = processingWidth / processingHeight;
  if (ratioCrop > ratioProcessing) {
    const desiredHeight = (x2 - x1) / ratioProcessing;
    const diff = Math.trunc(desiredHeight - (y2 - y1));
    y1 -= Math.floor(diff / 2);
    y2 += diff - Math.floor(diff / 2);
    if (y2 >= imageHeight) {
      const d = y2 - imageHeight;
      y2 -= d;
      y1 -= d;
    }
    if (y1 < 0) {
      y2 -= y1;
      y1 -= y1;
    }
    if (y2 >= imageHeight) y2 = imageHeight;
  } else {
    const desiredWidth = (y2 - y1) * ratioProcessing;
    const diff = Math.trunc(desiredWidth - (x2 - x1));
    x1 -= Math.floor(diff / 2);
    x2 += diff - Math.floor(diff / 2);
    if (x2 >= imageWidth) {
      const d = x2 - imageWidth;
      x2 -= d;
      x1 -= d;
    }
    if (x1 < 0) {
      x2 -= x1;
      x1 -= x1;
    }
    if (x2 >= imageWidth) x2 = imageWidth;
  }
  return [x1, y1, x2, y2];
}

/** PIL's _gaussian_blur_radius: the box radius that three box passes need for a Gaussian of `radius`. */
function boxRadius(radius: number, passes: number): number {
  const sigma2 = (radius * radius) / passes;
  const L = Math.sqrt(12 * sigma2 + 1);
  const l = Math.floor((L - 1) / 2);
  const a = ((2 * l + 1) * (l * (l + 1) - 3 * sigma2)) / (6 * (sigma2 - (l + 1) * (l + 1)));
  return l + a;
}

/** One box pass with a fractional radius over a line (edges extended), as PIL's ImagingLineBoxBlur. */
function boxLine(src: Float32Array, dst: Float32Array, n: number, stride: number, offset: number, r: number): void {
  const ri = Math.floor(r);
  const frac = r - ri;
  const scale = 1 / (2 * r + 1);
  const at = (i: number) => src[offset + Math.min(n - 1, Math.max(0, i)) * stride] as number;
  // Prefix sums over the line extended by ri + 1 on each side: each window costs O(1).
  const ext = ri + 1;
  const prefix = new Float64Array(n + 2 * ext + 1);
  for (let k = 0; k < n + 2 * ext; k++) prefix[k + 1] = (prefix[k] as number) + at(k - ext);
  for (let i = 0; i < n; i++) {
    const lo = i - ri + ext;
    const hi = i + ri + ext + 1;
    const acc = (prefix[hi] as number) - (prefix[lo] as number) + frac * (at(i - ri - 1) + at(i + ri + 1));
    dst[offset + i * stride] = acc * scale;
  }
}

/** PIL ImageFilter.GaussianBlur(radius) on a premultiplied 4-channel float image (3 box passes each way). */
function gaussianBlurPremultiplied(img: Float32Array, w: number, h: number, radius: number): Float32Array {
  if (radius <= 0) return img.slice();
  const r = boxRadius(radius, 3);
  let a = img.slice();
  let b = new Float32Array(a.length);
  for (let pass = 0; pass < 3; pass++) {
    for (let y = 0; y < h; y++) for (let c = 0; c < 4; c++) boxLine(a, b, w, 4, y * w * 4 + c, r);
    [a, b] = [b, a];
  }
  for (let pass = 0; pass < 3; pass++) {
    for (let x = 0; x < w; x++) for (let c = 0; c < 4; c++) boxLine(a, b, h, w * 4, x * 4 + c, r);
    [a, b] = [b, a];
  }
  for (let i = 0; i < a.length; i++) a[i] = Math.round(Math.min(255, Math.max(0, a[i] as number)));
  return a;
}

/** masking.fill: the masked area painted with the image blurred ever less around it (opaque result). */
export function fillMasked(image: RgbaImage, mask: Mask): RgbaImage {
  const { width: w, height: h } = image;
  const n = w * h;
  const masked = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const keep = 255 - (mask.data[i] as number);
    for (let c = 0; c < 3; c++) masked[i * 4 + c] = Math.round(((image.data[i * 4 + c] as number) * keep) / 255);
    masked[i * 4 + 3] = keep;
  }
  const mod = new Float32Array(n * 4);
  for (const [radius, repeats] of [[256, 1], [64, 1], [16, 2], [4, 4], [2, 2], [0, 1]] as const) {
    const blurred = gaussianBlurPremultiplied(masked, w, h, radius);
    for (let rep = 0; rep < repeats; rep++) {
      for (let i = 0; i < n; i++) {
        // Straight colour of the blurred (premultiplied) pixel over the accumulated image.
        const sa = (blurred[i * 4 + 3] as number) / 255;
        if (sa <= 0) continue;
        const da = (mod[i * 4 + 3] as number) / 255;
        const oa = sa + da * (1 - sa);
        for (let c = 0; c < 3; c++) {
          const sc = Math.min(255, (blurred[i * 4 + c] as number) / sa);
          mod[i * 4 + c] = (sc * sa + (mod[i * 4 + c] as number) * da * (1 - sa)) / oa;
        }
        mod[i * 4 + 3] = oa * 255;
      }
    }
  }
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(Math.min(255, Math.max(0, mod[i * 4 + c] as number)));
    out[i * 4 + 3] = 255;
  }
  return { width: w, height: h, data: out };
}
