/**
 * The two masks of an edit. The *coverage* mask (the caller's selection, grown or shrunk, then
 * feathered) decides how the result is blended into the document: 0 keeps the source pixel bit for
 * bit. The *repaint* mask, at model size, tells the model what to regenerate: every latent cell the
 * coverage touches, widened by one cell, so the whole feather ramp lies over regenerated pixels
 * and the blend goes from source to result without a step at a latent-cell edge.
 *
 * Grow and feather run on a window around the selection only: a 600×400 selection in a 2048²
 * document costs the same as in a 700² one.
 */
import { BridgeError } from '@latent-bridge/shared';
import {
  type Bounds,
  type Extent,
  type Mask,
  LATENT_SCALE,
  clampToCanvas,
  cropMask,
  featherMask,
  growMask,
  intersect,
  maskBounds,
  padBounds,
  selectionBounds,
  shrinkMask,
  translate,
} from '../image/index.js';

export interface CoverageMask {
  /** Document rectangle that `mask` covers; every nonzero coverage pixel lies inside it. */
  readonly window: Bounds;
  /** Window-sized coverage, 255 = result, 0 = source. */
  readonly mask: Mask;
  /** Bounds of the nonzero coverage, document coordinates. */
  readonly bounds: Bounds;
}

/** Feather radius (pixels) → Gaussian sigma: the blur reaches `radius` pixels (3σ). */
export function featherSigma(radius: number): number {
  return radius / 3;
}

/**
 * The document rectangle a selection's coverage can reach after grow and feather: the selection
 * padded by both (and 2 pixels for rounding), clipped to the canvas. Known before the coverage is
 * worked out, so an edit can plan its region and start resizing while the mask passes run.
 */
export function coverageWindow(selected: Bounds, grow: number, feather: number, canvas: Extent): Bounds {
  const margin = Math.max(grow, 0) + Math.ceil(feather) + 2;
  return clampToCanvas(padBounds(selected, margin), canvas) ?? selected;
}

/**
 * Selection → coverage. grow > 0 dilates, grow < 0 erodes (disc), feather blurs with radius
 * `feather`. Throws mask_invalid when nothing is (or remains) selected.
 */
export function coverageMask(selection: Mask, grow: number, feather: number, selected = selectionBounds(selection, 'mask')): CoverageMask {
  const window = coverageWindow(selected, grow, feather, selection);
  let mask = cropMask(selection, window);
  if (grow > 0) mask = growMask(mask, grow);
  else if (grow < 0) mask = shrinkMask(mask, -grow);
  if (feather > 0) mask = featherMask(mask, featherSigma(feather));
  const local = maskBounds(mask);
  if (!local) throw new BridgeError('mask_invalid', `mask: nothing is left selected after shrinking by ${-grow} pixels`, 'mask');
  return { window, mask, bounds: translate(local, window.x, window.y) };
}

/** The coverage inside `crop` (document coordinates), as a crop-sized mask; zero where the window does not reach. */
export function coverageInCrop(coverage: CoverageMask, crop: Bounds): Mask {
  const out = new Uint8Array(crop.width * crop.height);
  const overlap = intersect(coverage.window, crop);
  if (overlap) {
    const { window, mask } = coverage;
    for (let y = overlap.y; y < overlap.y + overlap.height; y++) {
      const src = (y - window.y) * window.width + (overlap.x - window.x);
      out.set(mask.data.subarray(src, src + overlap.width), (y - crop.y) * crop.width + (overlap.x - crop.x));
    }
  }
  return { width: crop.width, height: crop.height, data: out };
}

/** [lo, hi] source indices whose pixels can reach model pixels [first, last] through a resize by `scale` (source per model pixel). */
function sourceSpan(first: number, last: number, scale: number, size: number): [number, number] {
  // A filtered resize reads source pixels within max(1, scale) of a model pixel's centre; one
  // pixel more absorbs rounding, so the span never misses a pixel the resize would read.
  const reach = Math.max(1, scale) + 1;
  const lo = Math.floor((first + 0.5) * scale - 0.5 - reach);
  const hi = Math.ceil((last + 0.5) * scale - 0.5 + reach);
  return [Math.max(0, lo), Math.min(size - 1, hi)];
}

/**
 * Model-size repaint mask in whole latent cells: 255 over every cell that the crop's coverage
 * reaches once scaled to `modelSize` (any nonzero coverage pixel a filtered resize would read for
 * one of the cell's pixels) and over its 8 neighbours, 0 elsewhere. Both inpainting ways read one
 * value per cell, so the mask says exactly what they will see. Computed from the crop directly:
 * scaling the coverage itself would cost a resize and a model-size pass for one bit per cell.
 */
export function repaintMask(coverageCrop: Mask, modelSize: Extent): Mask {
  const { width: cw, height: ch, data } = coverageCrop;
  const { width: w, height: h } = modelSize;
  const s = LATENT_SCALE;
  const lw = Math.ceil(w / s);
  const lh = Math.ceil(h / s);
  const cols = Array.from({ length: lw }, (_, cx) => sourceSpan(cx * s, Math.min(w, (cx + 1) * s) - 1, cw / w, cw));
  // rowHits[y · lw + cx] = 1 when source row y has a nonzero pixel in cell column cx's span.
  const rowHits = new Uint8Array(ch * lw);
  const prefix = new Int32Array(cw + 1);
  for (let y = 0; y < ch; y++) {
    const row = y * cw;
    for (let x = 0; x < cw; x++) prefix[x + 1] = prefix[x]! + (data[row + x] !== 0 ? 1 : 0);
    if (prefix[cw] === 0) continue;
    for (let cx = 0; cx < lw; cx++) {
      const [lo, hi] = cols[cx]!;
      if (prefix[hi + 1]! > prefix[lo]!) rowHits[y * lw + cx] = 1;
    }
  }
  const touched = new Uint8Array(lw * lh);
  for (let cy = 0; cy < lh; cy++) {
    const [lo, hi] = sourceSpan(cy * s, Math.min(h, (cy + 1) * s) - 1, ch / h, ch);
    for (let y = lo; y <= hi; y++) {
      for (let cx = 0; cx < lw; cx++) if (rowHits[y * lw + cx] === 1) touched[cy * lw + cx] = 1;
    }
  }
  const out = new Uint8Array(w * h);
  for (let cy = 0; cy < lh; cy++) {
    for (let cx = 0; cx < lw; cx++) {
      let hit = false;
      for (let dy = -1; dy <= 1 && !hit; dy++) {
        for (let dx = -1; dx <= 1 && !hit; dx++) {
          const ny = cy + dy;
          const nx = cx + dx;
          hit = ny >= 0 && nx >= 0 && ny < lh && nx < lw && touched[ny * lw + nx] === 1;
        }
      }
      if (!hit) continue;
      const x1 = Math.min(w, (cx + 1) * s);
      for (let y = cy * s; y < Math.min(h, (cy + 1) * s); y++) out.fill(255, y * w + cx * s, y * w + x1);
    }
  }
  return { width: w, height: h, data: out };
}
