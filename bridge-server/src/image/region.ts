/**
 * Which part of a document an inpaint / img2img job works on, and at what model resolution.
 *
 * crop      = selection, padded by the context padding, clipped to the document; when the result
 *             is thinner than maxAspect its short side is widened (around its centre, shifted
 *             inward at document edges) so the model sees enough context.
 * modelSize = crop scaled so its short side is nativeSize, both sides rounded to multiples of 8,
 *             long side capped at maxLongSide. Aspect is kept to within that rounding (≤ 4 px).
 * Back:       the model output (modelSize) is resized to exactly crop.width × crop.height and
 *             composited at (crop.x, crop.y) through the selection mask cropped to `crop` — so the
 *             result lands on whole document pixels and nothing outside the mask changes.
 */
import { invalidField } from '@latent-bridge/shared';
import {
  type Bounds,
  type Extent,
  type Mapping,
  type Sides,
  DEFAULT_MAX_PIXELS,
  LATENT_SCALE,
  bounds,
  boundsOfExtent,
  checkInteger,
  checkPixelLimit,
  clampToCanvas,
  extent,
  fromEdges,
  mapBoundsOutward,
  mapPoint,
  multipleOf,
  padBounds,
  scaleToShortSide,
} from './geometry.js';

export interface RegionRequest {
  readonly document: Extent;
  /** Selection bounds in document pixels; may reach outside the document (it is clipped). */
  readonly selection: Bounds;
  /** Context padding around the selection, in document pixels (default 0). */
  readonly padding?: number | Partial<Sides>;
  /** The model's native short side: 512 for SD 1.x, 768 for SD 2.x, 1024 for SDXL. */
  readonly nativeSize: number;
  /** Widest crop aspect ratio before the short side is widened (default 2). */
  readonly maxAspect?: number;
  /** Cap on the model-space long side (default nativeSize · maxAspect, rounded down to 8). */
  readonly maxLongSide?: number;
  /** Documents with more pixels are refused with limit_exceeded (default DEFAULT_MAX_PIXELS). */
  readonly maxPixels?: number;
  /** Model sides are multiples of this (default LATENT_SCALE); nativeSize must be one. */
  readonly multiple?: number;
  /**
   * Widen the crop (within the document) to the model size's aspect ratio, so rounding the model
   * size to `multiple` shows the model a little more context instead of stretching the crop.
   */
  readonly matchAspect?: boolean;
}

export interface RegionPlan {
  /** The document rectangle the job reads and writes. */
  readonly crop: Bounds;
  /** Model input/output size, multiples of 8. */
  readonly modelSize: Extent;
  /** crop (document space) → model rectangle at 0,0. */
  readonly toModel: Mapping;
  /** model rectangle → crop (document space). */
  readonly toDocument: Mapping;
}

/** Grows [start, start + len) to `want` (at most total) around its centre, kept inside [0, total). */
function widen(start: number, len: number, want: number, total: number): [number, number] {
  const target = Math.min(total, Math.max(len, want));
  const extra = target - len;
  let s = start - Math.floor(extra / 2);
  s = Math.max(0, Math.min(s, total - target));
  return [s, target];
}

export function planRegion(req: RegionRequest): RegionPlan {
  const doc = extent(req.document.width, req.document.height, 'document');
  checkPixelLimit(doc, req.maxPixels ?? DEFAULT_MAX_PIXELS, 'document');
  const sel = bounds(req.selection.x, req.selection.y, req.selection.width, req.selection.height, 'selection');
  const multiple = checkInteger(req.multiple ?? LATENT_SCALE, 'multiple', 1, 512);
  const native = checkInteger(req.nativeSize, 'nativeSize', 64, 4096);
  if (native % multiple !== 0) throw invalidField('nativeSize', `must be a multiple of ${multiple}`);
  const maxAspect = req.maxAspect ?? 2;
  if (!Number.isFinite(maxAspect) || maxAspect < 1 || maxAspect > 16) throw invalidField('maxAspect', 'must be a number in [1, 16]');
  const maxLongSide = req.maxLongSide ?? Math.max(native, multipleOf(native * maxAspect, multiple, 'down'));
  checkInteger(maxLongSide, 'maxLongSide', native, 16384);

  const visible = clampToCanvas(sel, doc);
  if (!visible) {
    const where = `${sel.x},${sel.y} ${sel.width}×${sel.height}`;
    throw invalidField('selection', `${where} lies entirely outside the ${doc.width}×${doc.height} document`);
  }
  let crop = clampToCanvas(padBounds(visible, req.padding ?? 0), doc) ?? visible;

  if (crop.width > crop.height * maxAspect) {
    const [y, h] = widen(crop.y, crop.height, Math.ceil(crop.width / maxAspect), doc.height);
    crop = fromEdges(crop.x, y, crop.x + crop.width, y + h);
  } else if (crop.height > crop.width * maxAspect) {
    const [x, w] = widen(crop.x, crop.width, Math.ceil(crop.height / maxAspect), doc.width);
    crop = fromEdges(x, crop.y, x + w, crop.y + crop.height);
  }

  const modelSize = scaleToShortSide(crop, native, multiple, maxLongSide);
  if (req.matchAspect === true) {
    const perModelPixel = Math.max(crop.width / modelSize.width, crop.height / modelSize.height);
    const [x, w] = widen(crop.x, crop.width, Math.round(modelSize.width * perModelPixel), doc.width);
    const [y, h] = widen(crop.y, crop.height, Math.round(modelSize.height * perModelPixel), doc.height);
    crop = fromEdges(x, y, x + w, y + h);
  }
  const model = boundsOfExtent(modelSize);
  return Object.freeze({
    crop: Object.freeze(crop),
    modelSize,
    toModel: Object.freeze({ from: crop, to: model }),
    toDocument: Object.freeze({ from: model, to: crop }),
  });
}

/** A model-space point (pixel-edge coordinates) → document coordinates (fractional). */
export function modelToDocument(plan: RegionPlan, p: { x: number; y: number }): { x: number; y: number } {
  return mapPoint(plan.toDocument, p);
}

/** A document point → model coordinates (fractional). */
export function documentToModel(plan: RegionPlan, p: { x: number; y: number }): { x: number; y: number } {
  return mapPoint(plan.toModel, p);
}

/** Document bounds → the model pixels they touch (rounded outward, clipped to the model). */
export function documentBoundsToModel(plan: RegionPlan, b: Bounds): Bounds | null {
  return clampToCanvas(mapBoundsOutward(plan.toModel, b), plan.modelSize);
}
