/**
 * Outpainting: the canvas grows by `expand` source pixels on each side, the new area is
 * pre-filled (edge extension or seeded noise) and inpainted. With feather 0 (default) the source
 * sits on the new canvas bit for bit; feather N lets the result blend N pixels into the source
 * (a soft seam, planOutpaint's ramp).
 */
import { invalidField } from '@latent-bridge/shared';
import { assertRgba, boundsOfExtent, planOutpaint, prefillEdge, prefillNoise, type RgbaImage, type Sides } from '../image/index.js';
import { checkImageLimit } from './edit-region.js';
import { limitsOf, resolveStrength, validateEditParams } from './edit-run.js';
import { DEFAULT_INPAINT_STRENGTH, inpaintCoverage, integerOption } from './inpaint.js';
import type { LoadedModel } from './loaded-model.js';
import type { GenerateParams } from './params.js';
import type { GenerateResult, RunOptions } from './txt2img.js';

export interface OutpaintRequest extends GenerateParams {
  image: RgbaImage;
  expand: Sides;
  /** How the new area is pre-filled; default 'edge'. */
  fill?: 'edge' | 'noise';
  /** 0 … 1, default 1. */
  strength?: number;
  /** Width of the seam blended into the source, pixels; default 0 (the source stays untouched). */
  feather?: number;
  /** Context of the source the model sees around the new area, pixels; default 32. */
  padding?: number;
}

/** mulberry32: a small seeded generator for the noise fill (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function outpaint(model: LoadedModel, request: OutpaintRequest, options: RunOptions = {}): Promise<GenerateResult> {
  const started = performance.now();
  const { image } = request;
  assertRgba(image, 'image');
  const limits = limitsOf(options);
  checkImageLimit(image, limits.maxImagePixels);
  const fill = request.fill ?? 'edge';
  if (fill !== 'edge' && fill !== 'noise') throw invalidField('fill', "must be 'edge' or 'noise'");
  const seam = integerOption('feather', request.feather, 0, 0, 256);
  resolveStrength(request.strength, DEFAULT_INPAINT_STRENGTH);
  // The seed is fixed here so the noise fill and the generation share it.
  const first = validateEditParams(model, request, options);
  const plan = planOutpaint({ image, expand: request.expand, seam, maxPixels: limits.maxImagePixels });
  const canvas = fill === 'noise' ? prefillNoise(image, plan, seededRandom(first.seed)) : prefillEdge(image, plan);
  const coverage = { window: boundsOfExtent(plan.canvas), mask: plan.mask, bounds: plan.repaintBounds };
  // The canvas is ours, so the last result can be composited into it.
  return inpaintCoverage(model, canvas, { bounds: coverage.bounds, build: () => coverage }, { ...request, seed: first.seed }, options, started, true);
}
