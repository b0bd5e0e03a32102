/**
 * Outpainting: growing the canvas and deciding what the model repaints.
 *
 * The mask is 255 over the added area and ramps down over a seam of `seam` pixels reaching into
 * the old image: at distance d (0 = the pixel touching the new area) the value is
 * round(255 · (seam − d) / (seam + 1)), and 0 from d = seam on. Compositing through this mask keeps
 * every old pixel further than `seam` from a new edge bit-identical, and blends the ones nearer.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import {
  type Bounds,
  type Extent,
  type Point,
  type Sides,
  DEFAULT_MAX_PIXELS,
  checkInteger,
  checkPixelLimit,
  extent,
  sides,
} from './geometry.js';
import { maskBounds } from './mask.js';
import { assertRgba, type Mask, type RgbaImage } from './pixels.js';

export interface OutpaintRequest {
  /** Size of the existing image. */
  readonly image: Extent;
  /** Pixels to add on each side (integers ≥ 0, at least one > 0). */
  readonly expand: Partial<Sides>;
  /** Width of the soft seam inside the old image, in pixels (default 16; 0 = hard edge). */
  readonly seam?: number;
  /** New canvases with more pixels are refused with limit_exceeded. */
  readonly maxPixels?: number;
}

export interface OutpaintPlan {
  readonly canvas: Extent;
  readonly expand: Sides;
  /** Where the old image's top-left pixel sits on the new canvas. */
  readonly imageAt: Point;
  /** The old image's rectangle on the new canvas. */
  readonly imageBounds: Bounds;
  /** Bounding box of everything the mask touches: use it as the selection for planRegion. */
  readonly repaintBounds: Bounds;
  /** Canvas-sized coverage mask, 255 = repaint. */
  readonly mask: Mask;
  readonly seam: number;
}

export function planOutpaint(req: OutpaintRequest): OutpaintPlan {
  const img = extent(req.image.width, req.image.height, 'image');
  const e = sides(req.expand, 'expand');
  if (e.left + e.top + e.right + e.bottom === 0) throw invalidField('expand', 'at least one side must grow');
  const seam = checkInteger(req.seam ?? 16, 'seam', 0, 1024);
  const canvas = extent(img.width + e.left + e.right, img.height + e.top + e.bottom, 'canvas');
  checkPixelLimit(canvas, req.maxPixels ?? DEFAULT_MAX_PIXELS, 'canvas');

  const big = Number.MAX_SAFE_INTEGER;
  // Distance of each old column / row to the nearest edge that gained pixels.
  const colDist = new Float64Array(img.width);
  for (let x = 0; x < img.width; x++) colDist[x] = Math.min(e.left > 0 ? x : big, e.right > 0 ? img.width - 1 - x : big);
  const rowDist = new Float64Array(img.height);
  for (let y = 0; y < img.height; y++) rowDist[y] = Math.min(e.top > 0 ? y : big, e.bottom > 0 ? img.height - 1 - y : big);
  const ramp = new Uint8Array(seam);
  for (let d = 0; d < seam; d++) ramp[d] = Math.round((255 * (seam - d)) / (seam + 1));

  const data = new Uint8Array(canvas.width * canvas.height).fill(255);
  for (let y = 0; y < img.height; y++) {
    const row = (y + e.top) * canvas.width + e.left;
    const dy = rowDist[y]!;
    for (let x = 0; x < img.width; x++) {
      const d = Math.min(dy, colDist[x]!);
      data[row + x] = d < seam ? ramp[d]! : 0;
    }
  }
  const mask: Mask = { width: canvas.width, height: canvas.height, data };
  const imageAt: Point = Object.freeze({ x: e.left, y: e.top });
  return Object.freeze({
    canvas,
    expand: e,
    imageAt,
    imageBounds: Object.freeze({ x: e.left, y: e.top, width: img.width, height: img.height }),
    repaintBounds: maskBounds(mask)!,
    mask,
    seam,
  });
}

function checkImage(image: RgbaImage, plan: OutpaintPlan): void {
  assertRgba(image);
  if (image.width !== plan.imageBounds.width || image.height !== plan.imageBounds.height) {
    throw new BridgeError(
      'image_invalid',
      `image: ${image.width}×${image.height} does not match the planned ${plan.imageBounds.width}×${plan.imageBounds.height}`,
      'image',
    );
  }
}

/** The new canvas with the old image in place and the added area filled by replicating its nearest edge pixel. */
export function prefillEdge(image: RgbaImage, plan: OutpaintPlan): RgbaImage {
  checkImage(image, plan);
  const { canvas, expand: e } = plan;
  const out = new Uint8Array(canvas.width * canvas.height * 4);
  const src = image.data;
  const iw = image.width;
  for (let y = 0; y < canvas.height; y++) {
    const sy = Math.min(image.height - 1, Math.max(0, y - e.top));
    const srow = sy * iw * 4;
    const orow = y * canvas.width * 4;
    out.set(src.subarray(srow, srow + iw * 4), orow + e.left * 4);
    const first = src.subarray(srow, srow + 4);
    const last = src.subarray(srow + (iw - 1) * 4, srow + iw * 4);
    for (let x = 0; x < e.left; x++) out.set(first, orow + x * 4);
    for (let x = e.left + iw; x < canvas.width; x++) out.set(last, orow + x * 4);
  }
  return { width: canvas.width, height: canvas.height, data: out };
}

/**
 * The new canvas with the old image in place and the added area filled with opaque uniform noise,
 * one call of random() (expected in [0, 1)) per colour sample, row by row: a seeded generator gives
 * a reproducible fill.
 */
export function prefillNoise(image: RgbaImage, plan: OutpaintPlan, random: () => number): RgbaImage {
  checkImage(image, plan);
  if (typeof random !== 'function') throw invalidField('random', 'must be a function returning numbers in [0, 1)');
  const { canvas, imageBounds: ib } = plan;
  const out = new Uint8Array(canvas.width * canvas.height * 4);
  const sample = (): number => {
    const v = Math.floor(random() * 256);
    return v >= 0 && v <= 255 ? v : v > 255 ? 255 : 0;
  };
  for (let y = 0; y < canvas.height; y++) {
    const inside = y >= ib.y && y < ib.y + ib.height;
    for (let x = 0; x < canvas.width; x++) {
      const o = (y * canvas.width + x) * 4;
      if (inside && x >= ib.x && x < ib.x + ib.width) {
        const s = ((y - ib.y) * image.width + (x - ib.x)) * 4;
        out[o] = image.data[s]!;
        out[o + 1] = image.data[s + 1]!;
        out[o + 2] = image.data[s + 2]!;
        out[o + 3] = image.data[s + 3]!;
      } else {
        out[o] = sample();
        out[o + 1] = sample();
        out[o + 2] = sample();
        out[o + 3] = 255;
      }
    }
  }
  return { width: canvas.width, height: canvas.height, data: out };
}
