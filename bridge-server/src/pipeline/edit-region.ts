/**
 * Where an edit reads and writes the document, and the pixel trips between document and model:
 * crop → (flatten) → resize to the model size; model output → resize to the crop → composite
 * through the coverage mask at the crop's offset. Whole pixels only, so results never land a
 * fraction of a pixel off.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import {
  LATENT_SCALE,
  type Bounds,
  type Extent,
  type Mask,
  type RgbaImage,
  type RgbImage,
  cloneRgba,
  compositeRgbFromModel,
  multipleOf,
  planRegion,
  regionToModelRgb,
} from '../image/index.js';
import type { ModelInfo } from '../models/index.js';
import type { PipelineLimits } from './params.js';

export interface EditRegion {
  /** The document rectangle the model sees and the result may change. */
  readonly crop: Bounds;
  /** Generation size, multiples of 8. */
  readonly modelSize: Extent;
}

export interface SizeHint {
  width?: number | undefined;
  height?: number | undefined;
}

/** Transparent source pixels are seen by the model over white, as on an editor's default background. */
const BACKGROUND = { r: 255, g: 255, b: 255 };

/**
 * crop = selection + padding clipped to the document (widened when thinner than 1:2); model size =
 * crop scaled so its short side is the model's native size — or min(width, height) when the
 * caller gives a generation size — in multiples of the UNet's size multiple (64 for SD: other
 * sides fail inside ONNX exports; 8 for a size the caller gave), shrunk to fit maxPixels;
 * then the crop is widened to the model size's aspect where the document allows, so the rounding
 * adds context rather than stretching. A UNet with a static input size gets exactly that size.
 */
export function planEditRegion(
  document: Extent,
  selection: Bounds,
  padding: number,
  hint: SizeHint,
  info: ModelInfo,
  limits: PipelineLimits,
): EditRegion {
  const given = [hint.width, hint.height].filter((v): v is number => v !== undefined);
  // A size the caller asks for is theirs, in multiples of 8 as txt2img takes it (a UNet that
  // cannot run it answers with a clear error); a size planned here is one the UNet can run.
  const m = given.length > 0 ? LATENT_SCALE : info.sizeMultiple;
  const short = Math.max(m, multipleOf(given.length > 0 ? Math.min(...given) : info.nativeSize, m, 'down'));
  const long = Math.max(short * 2, ...given);
  const plan = planRegion({
    document,
    selection,
    padding,
    nativeSize: short,
    maxLongSide: Math.max(short, multipleOf(Math.min(limits.maxSide, long), m, 'down')),
    multiple: m,
    matchAspect: info.staticSize === undefined,
    ...(limits.maxImagePixels !== undefined ? { maxPixels: limits.maxImagePixels } : {}),
  });
  let modelSize = plan.modelSize;
  if (info.staticSize) {
    modelSize = info.staticSize;
  } else if (modelSize.width * modelSize.height > limits.maxPixels) {
    const k = Math.sqrt(limits.maxPixels / (modelSize.width * modelSize.height));
    const fit = (v: number) => Math.max(m, multipleOf(v * k, m, 'down'));
    modelSize = { width: fit(modelSize.width), height: fit(modelSize.height) };
  }
  return { crop: plan.crop, modelSize };
}

/** Throws limit_exceeded for source images over the limit (default: the image module's 8192²). */
export function checkImageLimit(image: Extent, limit: number | undefined, field = 'image'): void {
  if (limit !== undefined && image.width * image.height > limit) {
    throw new BridgeError('limit_exceeded', `${field}: ${image.width}×${image.height} is over the limit of ${limit} pixels`, field);
  }
}

/** The crop of the source at model size, flattened to opaque, as packed RGB. */
export function modelInput(source: RgbaImage, region: EditRegion): Promise<RgbImage> {
  return regionToModelRgb(source, region.crop, region.modelSize, BACKGROUND, 'lanczos3');
}

/**
 * The model output scaled back to the crop and composited through the coverage into a copy of
 * `base`, or into `base` itself when `inPlace` (the caller gave the buffer up: saves a
 * document-sized allocation and copy).
 */
export async function placeResult(
  base: RgbaImage,
  generated: RgbImage,
  coverageCrop: Mask,
  region: EditRegion,
  inPlace = false,
): Promise<RgbaImage> {
  const { width, height } = generated;
  if (width !== region.modelSize.width || height !== region.modelSize.height) {
    throw invalidField('image', `model output ${width}×${height} is not the planned ${region.modelSize.width}×${region.modelSize.height}`);
  }
  const out = inPlace ? base : cloneRgba(base);
  await compositeRgbFromModel(out, generated, coverageCrop, region.crop, 'lanczos3');
  return out;
}
