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
 * Selection → coverage. grow > 0 dilates, grow < 0 erodes (disc), feather blurs with radius
 * `feather`. Throws mask_invalid when nothing is (or remains) selected.
 */
export function coverageMask(selection: Mask, grow: number, feather: number, selected = selectionBounds(selection, 'mask')): CoverageMask {
  const margin = Math.max(grow, 0) + Math.ceil(feather) + 2;
  const window = clampToCanvas(padBounds(selected, margin), selection) ?? selected;
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

/**
 * Model-size repaint mask in whole latent cells: 255 over every cell that holds a nonzero coverage
 * pixel and over its 8 neighbours, 0 elsewhere. Both inpainting ways read one value per cell, so
 * the mask says exactly what they will see.
 */
export function repaintMask(coverageAtModelSize: Mask): Mask {
  const { width: w, height: h, data } = coverageAtModelSize;
  const s = LATENT_SCALE;
  const lw = Math.ceil(w / s);
  const lh = Math.ceil(h / s);
  const touched = new Uint8Array(lw * lh);
  for (let y = 0; y < h; y++) {
    const cells = Math.floor(y / s) * lw;
    for (let x = 0, i = y * w; x < w; x++, i++) if (data[i] !== 0) touched[cells + Math.floor(x / s)] = 1;
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
