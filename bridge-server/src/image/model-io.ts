/**
 * The two pixel trips of an edit, each one pass over the pixels around one sharp resize: a
 * document region to model size (flattened over a background where it is not opaque), and a
 * model-size result back to the region, composited into the document through a coverage mask.
 * Both give exactly what cropRgba → flattenAlpha → resizeRgba and resizeRgba → compositeInto give,
 * without the region-sized RGBA copies in between.
 */
import { type Bounds, type Extent, DEFAULT_MAX_PIXELS } from './geometry.js';
import { compositeInto, compositeRgbInto, flattenAlpha } from './composite.js';
import { assertMaskSize, assertRgba, cropRgba, opaqueToRgb, rgbToRgba, type Mask, type RgbaImage, type RgbImage } from './pixels.js';
import { resizeRgb, resizeRgba, type ResizeKernel } from './resize.js';

export interface Rgb8 {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/** `region` of `image` over `background` where alpha < 255, resized to `size`: what a model sees of a crop. */
export async function regionToModel(
  image: RgbaImage,
  region: Bounds,
  size: Extent,
  background: Rgb8,
  kernel: ResizeKernel = 'lanczos3',
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<RgbaImage> {
  const rgb = await regionToModelRgb(image, region, size, background, kernel, maxPixels);
  return { width: size.width, height: size.height, data: rgbToRgba(rgb.data) };
}

/** regionToModel as packed RGB, as the resize gives it (no RGBA copy: the model drops alpha anyway). */
export async function regionToModelRgb(
  image: RgbaImage,
  region: Bounds,
  size: Extent,
  background: Rgb8,
  kernel: ResizeKernel = 'lanczos3',
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<RgbImage> {
  assertRgba(image);
  const rgb = opaqueToRgb(image, region) ?? opaqueToRgb(flattenAlpha(cropRgba(image, region), background));
  const resized = await resizeRgb(rgb as Uint8Array, region.width, region.height, size.width, size.height, kernel, maxPixels);
  return { width: size.width, height: size.height, data: resized };
}

/**
 * `generated` resized to `region`'s size and composited into `target` at the region's offset
 * through `coverage` (region-sized), in place.
 */
export async function compositeFromModel(
  target: RgbaImage,
  generated: RgbaImage,
  coverage: Mask,
  region: Bounds,
  kernel: ResizeKernel = 'lanczos3',
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<void> {
  assertRgba(target, 'target');
  assertRgba(generated, 'overlay');
  assertMaskSize(coverage, region);
  const rgb = opaqueToRgb(generated);
  if (!rgb) {
    compositeInto(target, await resizeRgba(generated, region.width, region.height, kernel, maxPixels), coverage, region);
    return;
  }
  await compositeRgbFromModel(target, { width: generated.width, height: generated.height, data: rgb }, coverage, region, kernel, maxPixels);
}

/** compositeFromModel for an opaque result given as packed RGB (what the VAE decode gives an edit). */
export async function compositeRgbFromModel(
  target: RgbaImage,
  generated: RgbImage,
  coverage: Mask,
  region: Bounds,
  kernel: ResizeKernel = 'lanczos3',
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<void> {
  assertRgba(target, 'target');
  assertMaskSize(coverage, region);
  const resized = await resizeRgb(generated.data, generated.width, generated.height, region.width, region.height, kernel, maxPixels);
  compositeRgbInto(target, resized, region, coverage, region);
}
