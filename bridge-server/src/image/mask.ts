/**
 * Mask morphology and analysis. Masks may be soft: grow is a greyscale dilation (max over the
 * structuring element), shrink a greyscale erosion (min), so soft edges move without hardening.
 *
 * Structuring elements (radius r ≥ 0, in pixels):
 *   'disc'   — exact Euclidean disc: every offset (dx, dy) with dx² + dy² ≤ r². r = 1 is the
 *              4-neighbour cross; a single pixel grown by r becomes the digital disc of radius r.
 *   'square' — (2r + 1)² square (Chebyshev distance ≤ r).
 * Pixels outside the mask are ignored, not taken as 0: the mask border does not erode a selection
 * that continues beyond the crop.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { type Bounds, fromEdges } from './geometry.js';
import { assertMask, type Mask } from './pixels.js';
import { repeatedRows } from './rows.js';
import { scratchUint8 } from './scratch.js';

export type StructuringElement = 'disc' | 'square';

export { BOX_FEATHER_SIGMA, featherMask } from './feather.js';

/** Sliding-window max over each row with half-width h (window 2h + 1, clipped at the row ends). */
function rowMax(src: Uint8Array, w: number, h: number, half: number, out: Uint8Array, same: Uint8Array): void {
  if (half === 0) {
    out.set(src);
    return;
  }
  if (half <= SMALL_HALF) {
    rowMaxDoubling(src, w, h, half, out, same);
    return;
  }
  // van Herk / Gil-Werman: prefix maxima g and suffix maxima s inside blocks of size k give each
  // window max as max(s[left], g[right]) in O(1) per pixel, whatever the radius.
  const k = 2 * half + 1;
  const g = new Uint8Array(w);
  const s = new Uint8Array(w);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (same[y] === 1) {
      out.copyWithin(row, row - w, row);
      continue;
    }
    for (let x = 0; x < w; x++) {
      const v = src[row + x]!;
      const prev = g[x - 1]!;
      g[x] = x % k === 0 || v > prev ? v : prev;
    }
    for (let x = w - 1; x >= 0; x--) {
      const v = src[row + x]!;
      const next = s[x + 1]!;
      s[x] = x === w - 1 || (x + 1) % k === 0 || v > next ? v : next;
    }
    for (let x = 0; x < w; x++) {
      const lo = Math.max(0, x - half);
      const hi = Math.min(w - 1, x + half);
      // [lo, hi] spans at most two blocks: the suffix from lo and the prefix up to hi. Inside one
      // block the window is clipped at a row end, so it starts or ends on a block edge.
      if (Math.floor(lo / k) !== Math.floor(hi / k)) {
        const a = s[lo]!;
        const b = g[hi]!;
        out[row + x] = a > b ? a : b;
      }
      else if (lo % k === 0) out[row + x] = g[hi]!;
      else if (hi === w - 1 || (hi + 1) % k === 0) out[row + x] = s[lo]!;
      else out[row + x] = rangeMax(src, row, lo, hi);
    }
  }
}

/** Up to this half-width the doubling scheme (log₂ passes without divisions) beats van Herk's three. */
const SMALL_HALF = 16;

/**
 * Sliding max by doubling spans: after the passes, m[x] = max(src[x … x + p − 1]) for the largest
 * power of two p ≤ 2·half + 1, and two overlapping spans cover each window.
 */
function rowMaxDoubling(src: Uint8Array, w: number, h: number, half: number, out: Uint8Array, same: Uint8Array): void {
  const window = 2 * half + 1;
  let p = 1;
  while (p * 2 <= window) p *= 2;
  let cur = new Uint8Array(w);
  let next = new Uint8Array(w);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (same[y] === 1) {
      out.copyWithin(row, row - w, row);
      continue;
    }
    cur.set(src.subarray(row, row + w));
    for (let span = 1; span < p; span *= 2) {
      for (let x = 0; x < w; x++) {
        const a = cur[x]!;
        const j = x + span;
        const b = j < w ? cur[j]! : 0;
        next[x] = a > b ? a : b;
      }
      [cur, next] = [next, cur];
    }
    for (let x = 0; x < w; x++) {
      const lo = x - half;
      const hi = x + half;
      // Near the row ends the window is clipped: fall back to a plain scan of what is left.
      if (lo < 0 || hi >= w) {
        out[row + x] = rangeMax(src, row, Math.max(0, lo), Math.min(w - 1, hi));
        continue;
      }
      const a = cur[lo]!;
      const b = cur[hi - p + 1]!;
      out[row + x] = a > b ? a : b;
    }
  }
}

function rangeMax(src: Uint8Array, row: number, lo: number, hi: number): number {
  let m = 0;
  for (let i = lo; i <= hi; i++) if (src[row + i]! > m) m = src[row + i]!;
  return m;
}

function transpose(src: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x * h + y] = src[y * w + x]!;
  return out;
}

function dilate(data: Uint8Array, w: number, h: number, r: number, shape: StructuringElement): Uint8Array {
  if (r === 0) return data.slice();
  if (shape === 'square') {
    const rows = new Uint8Array(w * h);
    rowMax(data, w, h, r, rows, repeatedRows(data, w, h));
    const t = transpose(rows, w, h);
    const cols = new Uint8Array(w * h);
    rowMax(t, h, w, r, cols, repeatedRows(t, h, w));
    return transpose(cols, h, w);
  }
  const same = repeatedRows(data, w, h);
  // Disc = union of horizontal spans: for row offset dy the half-width is floor(sqrt(r² − dy²)).
  const halfWidths = new Map<number, Uint8Array>();
  for (let dy = 0; dy <= r; dy++) {
    const half = Math.floor(Math.sqrt(r * r - dy * dy));
    if (!halfWidths.has(half)) {
      const rows = scratchUint8(`dilate.rows${halfWidths.size}`, w * h);
      rowMax(data, w, h, half, rows, same);
      halfWidths.set(half, rows);
    }
  }
  const spans: Uint8Array[] = [];
  for (let dy = -r; dy <= r; dy++) spans.push(halfWidths.get(Math.floor(Math.sqrt(r * r - dy * dy)))!);
  // sameRun[y]: how many rows up to y each equal the row above; when rows y − r − 1 … y + r are all
  // equal, output row y is output row y − 1.
  const sameRun = new Uint32Array(h);
  for (let y = 1; y < h; y++) sameRun[y] = same[y] === 1 ? sameRun[y - 1]! + 1 : 0;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    if (y > r && y + r < h && sameRun[y + r]! >= 2 * r + 1) {
      out.copyWithin(o, o - w, o);
      continue;
    }
    for (let dy = Math.max(-r, -y); dy <= r && y + dy < h; dy++) {
      const rows = spans[dy + r]!;
      const s = (y + dy) * w;
      for (let x = 0; x < w; x++) if (rows[s + x]! > out[o + x]!) out[o + x] = rows[s + x]!;
    }
  }
  return out;
}

function checkRadius(radius: number): void {
  if (!Number.isSafeInteger(radius) || radius < 0 || radius > 1024) throw invalidField('radius', 'must be an integer in [0, 1024]');
}

function checkShape(shape: string): void {
  if (shape !== 'disc' && shape !== 'square') throw invalidField('shape', "must be 'disc' or 'square'");
}

/** Dilates the mask by radius pixels. */
export function growMask(mask: Mask, radius: number, shape: StructuringElement = 'disc'): Mask {
  assertMask(mask);
  checkRadius(radius);
  checkShape(shape);
  return { width: mask.width, height: mask.height, data: dilate(mask.data, mask.width, mask.height, radius, shape) };
}

/** Erodes the mask by radius pixels (the dual of growMask: invert, grow, invert). */
export function shrinkMask(mask: Mask, radius: number, shape: StructuringElement = 'disc'): Mask {
  assertMask(mask);
  checkRadius(radius);
  checkShape(shape);
  const inv = invertMask(mask);
  return invertMask({ width: mask.width, height: mask.height, data: dilate(inv.data, mask.width, mask.height, radius, shape) });
}

/** Smallest bounds holding every nonzero pixel, or null for an empty mask. */
export function maskBounds(mask: Mask): Bounds | null {
  assertMask(mask);
  const { width: w, height: h, data } = mask;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  // Most rows of a document-sized selection are empty: test them eight bytes at a time. A float64
  // view compares all eight at once; the one nonzero pattern that equals 0 is -0 (sign byte only).
  const words = data.byteOffset % 8 === 0 ? new Float64Array(data.buffer, data.byteOffset, data.length >> 3) : undefined;
  const rowEmpty = (row: number): boolean => {
    let i = row;
    const end = row + w;
    if (words) {
      for (; i < end && i % 8 !== 0; i++) if (data[i] !== 0) return false;
      for (; i + 8 <= end; i += 8) {
        const v = words[i >> 3]!;
        if (v !== 0 || 1 / v < 0) return false;
      }
    }
    for (; i < end; i++) if (data[i] !== 0) return false;
    return true;
  };
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (rowEmpty(row)) continue;
    let first = -1;
    for (let x = 0; x < w; x++) {
      if (data[row + x] !== 0) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    let last = first;
    for (let x = w - 1; x > first; x--) {
      if (data[row + x] !== 0) {
        last = x;
        break;
      }
    }
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
    if (y < y0) y0 = y;
    y1 = y;
  }
  return x1 < 0 ? null : fromEdges(x0, y0, x1 + 1, y1 + 1);
}

export function isMaskEmpty(mask: Mask): boolean {
  assertMask(mask);
  const d = mask.data;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) return false;
  return true;
}

/** Throws mask_invalid when nothing is selected. */
export function assertMaskNotEmpty(mask: Mask, field = 'mask'): void {
  if (isMaskEmpty(mask)) throw new BridgeError('mask_invalid', `${field}: mask is empty (nothing selected)`, field);
}

/** Bounds of the selected pixels; throws mask_invalid when nothing is selected. */
export function selectionBounds(mask: Mask, field = 'mask'): Bounds {
  const b = maskBounds(mask);
  if (!b) throw new BridgeError('mask_invalid', `${field}: mask is empty (nothing selected)`, field);
  return b;
}

export function invertMask(mask: Mask): Mask {
  assertMask(mask);
  const out = new Uint8Array(mask.data.length);
  for (let i = 0; i < out.length; i++) out[i] = 255 - mask.data[i]!;
  return { width: mask.width, height: mask.height, data: out };
}
