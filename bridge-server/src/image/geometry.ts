/**
 * Integer pixel geometry shared by the region, mask and composite code. Bounds are half-open
 * ([x, x + width) × [y, y + height)); every value is an integer so a result can never land a
 * fraction of a pixel off. All values are plain frozen objects; nothing here mutates its input.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';

export interface Extent {
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Bounds {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Per-side padding or expansion in pixels. */
export interface Sides {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Default cap for decoded and planned images: 8192 × 8192 pixels. */
export const DEFAULT_MAX_PIXELS = 8192 * 8192;

/** The latent grid of every Stable Diffusion VAE: model-space sizes are multiples of this. */
export const LATENT_SCALE = 8;

export function checkInteger(value: number, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidField(field, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

export function extent(width: number, height: number, field = 'size'): Extent {
  checkInteger(width, `${field}.width`, 1);
  checkInteger(height, `${field}.height`, 1);
  return Object.freeze({ width, height });
}

export function point(x: number, y: number, field = 'point'): Point {
  checkInteger(x, `${field}.x`, Number.MIN_SAFE_INTEGER);
  checkInteger(y, `${field}.y`, Number.MIN_SAFE_INTEGER);
  return Object.freeze({ x, y });
}

/** Validated bounds; width and height may be 0 only when allowEmpty is set. */
export function bounds(x: number, y: number, width: number, height: number, field = 'bounds', allowEmpty = false): Bounds {
  checkInteger(x, `${field}.x`, Number.MIN_SAFE_INTEGER);
  checkInteger(y, `${field}.y`, Number.MIN_SAFE_INTEGER);
  checkInteger(width, `${field}.width`, allowEmpty ? 0 : 1);
  checkInteger(height, `${field}.height`, allowEmpty ? 0 : 1);
  return Object.freeze({ x, y, width, height });
}

export function sides(value: Partial<Sides> | number, field = 'sides'): Sides {
  const v = typeof value === 'number' ? { left: value, top: value, right: value, bottom: value } : value;
  const left = checkInteger(v.left ?? 0, `${field}.left`, 0);
  const top = checkInteger(v.top ?? 0, `${field}.top`, 0);
  const right = checkInteger(v.right ?? 0, `${field}.right`, 0);
  const bottom = checkInteger(v.bottom ?? 0, `${field}.bottom`, 0);
  return Object.freeze({ left, top, right, bottom });
}

export function pixelCount(size: Extent): number {
  return size.width * size.height;
}

/** Throws limit_exceeded when size has more than maxPixels pixels. */
export function checkPixelLimit(size: Extent, maxPixels: number, field: string): void {
  if (size.width * size.height > maxPixels) {
    throw new BridgeError(
      'limit_exceeded',
      `${field}: ${size.width}×${size.height} is over the limit of ${maxPixels} pixels`,
      field,
    );
  }
}

export type RoundMode = 'up' | 'down' | 'nearest';

/** Rounds value to a multiple of n; 'nearest' rounds halves up. 'down' may give 0. */
export function multipleOf(value: number, n: number, mode: RoundMode = 'nearest'): number {
  if (!Number.isFinite(value) || value < 0) throw invalidField('value', `must be a finite non-negative number, got ${value}`);
  checkInteger(n, 'multiple', 1);
  const q = value / n;
  const k = mode === 'up' ? Math.ceil(q) : mode === 'down' ? Math.floor(q) : Math.floor(q + 0.5);
  return k * n;
}

export function right(b: Bounds): number {
  return b.x + b.width;
}

export function bottom(b: Bounds): number {
  return b.y + b.height;
}

export function isEmpty(b: Bounds): boolean {
  return b.width <= 0 || b.height <= 0;
}

export function boundsOfExtent(size: Extent): Bounds {
  return Object.freeze({ x: 0, y: 0, width: size.width, height: size.height });
}

export function fromEdges(x0: number, y0: number, x1: number, y1: number): Bounds {
  return Object.freeze({ x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) });
}

export function padBounds(b: Bounds, padding: Partial<Sides> | number): Bounds {
  const p = sides(padding, 'padding');
  return fromEdges(b.x - p.left, b.y - p.top, right(b) + p.right, bottom(b) + p.bottom);
}

/** The overlap of a and b, or null when they do not overlap. */
export function intersect(a: Bounds, b: Bounds): Bounds | null {
  const r = fromEdges(Math.max(a.x, b.x), Math.max(a.y, b.y), Math.min(right(a), right(b)), Math.min(bottom(a), bottom(b)));
  return isEmpty(r) ? null : r;
}

/** Smallest bounds holding both; an empty operand is ignored. */
export function union(a: Bounds, b: Bounds): Bounds {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  return fromEdges(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(right(a), right(b)), Math.max(bottom(a), bottom(b)));
}

/** b clipped to a canvas of the given size, or null when nothing of b is on the canvas. */
export function clampToCanvas(b: Bounds, canvas: Extent): Bounds | null {
  return intersect(b, boundsOfExtent(canvas));
}

export function contains(outer: Bounds, inner: Bounds): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && right(inner) <= right(outer) && bottom(inner) <= bottom(outer);
}

export function translate(b: Bounds, dx: number, dy: number): Bounds {
  return Object.freeze({ x: b.x + dx, y: b.y + dy, width: b.width, height: b.height });
}

/**
 * Scales size so its short side becomes shortSide, keeping the aspect ratio, then rounds both
 * sides to the nearest multiple of `multiple` (at least one multiple). When the long side would
 * exceed maxLongSide the whole size is scaled down so the long side fits instead.
 */
export function scaleToShortSide(size: Extent, shortSide: number, multiple = LATENT_SCALE, maxLongSide = Infinity): Extent {
  checkInteger(shortSide, 'shortSide', 1);
  const short = Math.min(size.width, size.height);
  const long = Math.max(size.width, size.height);
  let scale = shortSide / short;
  if (long * scale > maxLongSide) scale = maxLongSide / long;
  const limit = Math.max(multiple, multipleOf(Math.min(maxLongSide, Number.MAX_SAFE_INTEGER), multiple, 'down'));
  const fit = (v: number): number => Math.min(limit, Math.max(multiple, multipleOf(v * scale, multiple, 'nearest')));
  return Object.freeze({ width: fit(size.width), height: fit(size.height) });
}

/** A linear map between a rectangle in one space and a rectangle in another (e.g. document ↔ model). */
export interface Mapping {
  readonly from: Bounds;
  readonly to: Bounds;
}

/** Maps a point (pixel-edge coordinates, may be fractional) from `from` space into `to` space. */
export function mapPoint(m: Mapping, p: { x: number; y: number }): { x: number; y: number } {
  return {
    x: m.to.x + ((p.x - m.from.x) * m.to.width) / m.from.width,
    y: m.to.y + ((p.y - m.from.y) * m.to.height) / m.from.height,
  };
}

export function invertMapping(m: Mapping): Mapping {
  return { from: m.to, to: m.from };
}

/** Maps bounds and rounds outward, so the mapped bounds always cover every touched target pixel. */
export function mapBoundsOutward(m: Mapping, b: Bounds): Bounds {
  const p0 = mapPoint(m, { x: b.x, y: b.y });
  const p1 = mapPoint(m, { x: right(b), y: bottom(b) });
  // A tiny epsilon absorbs float error so exact integer edges do not round outward by a whole pixel.
  const eps = 1e-9;
  return fromEdges(Math.floor(p0.x + eps), Math.floor(p0.y + eps), Math.ceil(p1.x - eps), Math.ceil(p1.y - eps));
}
