/**
 * Feathering a coverage mask: a Gaussian blur with edges replicated, so a selection touching the
 * canvas border stays selected there. Narrow kernels run as true taps (skipping flat runs); from
 * BOX_FEATHER_SIGMA on, three box passes per axis stand in for the kernel at a cost independent of
 * sigma.
 */
import { invalidField } from '@latent-bridge/shared';
import { assertMask, type Mask } from './pixels.js';
import { repeatedRows } from './rows.js';
import { scratchFloat32, scratchFloat64 } from './scratch.js';

/** Normalised 1-D Gaussian taps for sigma, radius ceil(3σ). */
function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/** One blur pass along rows of a w×h float plane, edges replicated (a selection touching the border stays selected). */
function blurRows(src: Float32Array, w: number, h: number, k: Float32Array, out: Float32Array): void {
  const r = (k.length - 1) / 2;
  const taps = k.length;
  // Each row is copied into a buffer padded with its edge values, so the tap loop has no bounds checks.
  const padded = new Float32Array(w + 2 * r);
  // runEnd[i]: end of the run of equal values starting at i. A window inside one run is that value
  // exactly, which skips the taps over the flat inside and outside of a selection.
  const runEnd = new Int32Array(w + 2 * r);
  const same = repeatedRows(src, w, h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (same[y] === 1) {
      out.copyWithin(row, row - w, row);
      continue;
    }
    padded.set(src.subarray(row, row + w), r);
    padded.fill(src[row]!, 0, r);
    padded.fill(src[row + w - 1]!, r + w);
    runEnd[padded.length - 1] = padded.length;
    for (let i = padded.length - 2; i >= 0; i--) runEnd[i] = padded[i] === padded[i + 1] ? runEnd[i + 1]! : i + 1;
    for (let x = 0; x < w; x++) {
      if (runEnd[x]! >= x + taps) {
        out[row + x] = padded[x]!;
        continue;
      }
      let acc = 0;
      for (let i = 0; i < taps; i++) acc += padded[x + i]! * k[i]!;
      out[row + x] = acc;
    }
  }
}

/** Widths of three box filters whose succession approximates a Gaussian of sigma (Wells 1986; Kutskir's sizes). */
function boxWidths(sigma: number): [number, number, number] {
  const ideal = Math.sqrt((12 * sigma * sigma) / 3 + 1);
  let lo = Math.floor(ideal);
  if (lo % 2 === 0) lo--;
  const small = Math.max(0, Math.min(3, Math.round((12 * sigma * sigma - 3 * lo * lo - 12 * lo - 9) / (-4 * lo - 4))));
  return [0, 1, 2].map((i) => (i < small ? lo : lo + 2)) as [number, number, number];
}

/** One box pass over a row (width 2r + 1, edges replicated) with a running sum: O(1) per pixel. */
function boxRow(src: Float64Array, w: number, r: number, out: Float64Array): void {
  const n = 2 * r + 1;
  const last = w - 1;
  let acc = 0;
  for (let i = -r; i <= r; i++) acc += src[i < 0 ? 0 : i > last ? last : i]!;
  for (let x = 0; x < w; x++) {
    out[x] = acc / n;
    const add = x + r + 1;
    const drop = x - r;
    acc += src[add > last ? last : add]! - src[drop < 0 ? 0 : drop]!;
  }
}

/** The box passes along each row of the mask into `plane`; a row equal to the one above is copied. */
function boxRows(mask: Uint8Array, w: number, h: number, radii: readonly number[], plane: Float32Array): void {
  const same = repeatedRows(mask, w, h);
  let a = new Float64Array(w);
  let b = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (same[y] === 1) {
      plane.copyWithin(row, row - w, row);
      continue;
    }
    for (let x = 0; x < w; x++) a[x] = mask[row + x]!;
    for (const r of radii) {
      boxRow(a, w, r, b);
      [a, b] = [b, a];
    }
    plane.set(a, row);
  }
}

/**
 * One box pass down every column of a w×h plane at once: a running sum per column, rows visited
 * in order so memory is read contiguously (no transpose). In place, or, for the last pass, into
 * the rounded mask `out`. Rows already overwritten are still needed on the trailing edge of the
 * window, so their originals wait in a ring of r + 1 rows.
 */
function boxColumns(plane: Float32Array, w: number, h: number, r: number, acc: Float64Array, ring: Float32Array, out?: Uint8Array): void {
  const n = 2 * r + 1;
  const last = h - 1;
  const slots = r + 1;
  acc.fill(0);
  for (let i = -r; i <= r; i++) {
    const row = (i < 0 ? 0 : i > last ? last : i) * w;
    for (let x = 0; x < w; x++) acc[x]! += plane[row + x]!;
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const slot = (y % slots) * w;
    // The row that enters next is never this one (y < last), and the one that leaves is in the ring.
    const add = Math.min(last, y + r + 1) * w;
    const drop = (Math.max(0, y - r) % slots) * w;
    const more = y < last;
    for (let x = 0; x < w; x++) {
      ring[slot + x] = plane[row + x]!;
      const v = acc[x]! / n;
      if (out) out[row + x] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      else plane[row + x] = v;
      if (more) acc[x]! += plane[add + x]! - ring[drop + x]!;
    }
  }
}

/**
 * Three box passes per axis: the Gaussian to within about 1 % of the edge height, at a cost
 * independent of sigma, in one float plane (large fresh buffers are what this costs most).
 */
function featherBoxes(mask: Mask, sigma: number): Mask {
  const { width: w, height: h } = mask;
  const radii = boxWidths(sigma).map((n) => (n - 1) / 2);
  const plane = scratchFloat32('feather.plane', w * h);
  boxRows(mask.data, w, h, radii, plane);
  const acc = scratchFloat64('feather.acc', w);
  const ring = scratchFloat32('feather.ring', (Math.max(...radii) + 1) * w);
  const out = new Uint8Array(w * h);
  radii.forEach((r, i) => boxColumns(plane, w, h, r, acc, ring, i === radii.length - 1 ? out : undefined));
  return { width: w, height: h, data: out };
}

/** Square tiles keep both sides of a transpose in cache. */
const TILE = 32;

/** src (w×h) transposed into out (h×w). */
function transposeInto(src: Float32Array, w: number, h: number, out: Float32Array): Float32Array {
  for (let y0 = 0; y0 < h; y0 += TILE) {
    const y1 = Math.min(h, y0 + TILE);
    for (let x0 = 0; x0 < w; x0 += TILE) {
      const x1 = Math.min(w, x0 + TILE);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out[x * h + y] = src[y * w + x]!;
    }
  }
  return out;
}

/** The h×w plane `t` (a transposed w×h result) back to a w×h mask, rounded and clamped to 0 … 255. */
function untransposeToMask(t: Float32Array, w: number, h: number): Mask {
  const out = new Uint8Array(w * h);
  for (let y0 = 0; y0 < h; y0 += TILE) {
    const y1 = Math.min(h, y0 + TILE);
    for (let x0 = 0; x0 < w; x0 += TILE) {
      const x1 = Math.min(w, x0 + TILE);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const v = t[x * h + y]!;
          out[y * w + x] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
      }
    }
  }
  return { width: w, height: h, data: out };
}

/** From this sigma on, featherMask runs as box passes: a true kernel would be over 49 taps wide. */
export const BOX_FEATHER_SIGMA = 8;

/**
 * Gaussian feather with standard deviation sigma (separable, edges replicated). The result is soft;
 * areas further than 3σ from any edge keep their exact values (0 stays 0, 255 stays 255). From
 * BOX_FEATHER_SIGMA on, three box passes stand in for the kernel (same reach, within ~1 %).
 */
export function featherMask(mask: Mask, sigma: number): Mask {
  assertMask(mask);
  if (!Number.isFinite(sigma) || sigma < 0 || sigma > 256) throw invalidField('sigma', 'must be a number in [0, 256]');
  const { width: w, height: h } = mask;
  if (sigma === 0) return { width: w, height: h, data: mask.data.slice() };
  if (sigma >= BOX_FEATHER_SIGMA) return featherBoxes(mask, sigma);
  const k = gaussianKernel(sigma);
  const a = scratchFloat32('feather.plane', w * h);
  a.set(mask.data);
  const b = scratchFloat32('feather.rows', w * h);
  blurRows(a, w, h, k, b);
  // Columns: transpose, blur rows, transpose back — keeps the inner loop on contiguous memory.
  const t = transposeInto(b, w, h, scratchFloat32('feather.columns', w * h));
  blurRows(t, h, w, k, a);
  return untransposeToMask(a, w, h);
}
