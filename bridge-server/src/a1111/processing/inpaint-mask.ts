/**
 * A1111's inpainting mask steps around an img2img run: the mask made binary, inverted and blurred,
 * the "only masked" crop, the latent masks, and the final composite over the source through the
 * blurred mask (apply_overlay), which keeps every pixel the mask does not reach.
 */
import { resizeMask, type Mask, type RgbaImage } from '../../image/index.js';
import { pyInt, type GenerationParams } from '../infotext.js';
import { cropMaskTo, resizeImage, resizeMaskImage } from './image-ops.js';
import { binaryMask, cropRegion, expandCropRegion, gaussianBlur1d, invert } from './masking.js';

/** The mask fields of an img2img request. */
export interface MaskRequest {
  initImages: readonly RgbaImage[];
  mask: RgbaImage | undefined;
  resizeMode: number;
  maskBlurX: number;
  maskBlurY: number;
  maskRound: boolean;
  inpaintFullRes: boolean;
  inpaintFullResPadding: number;
  inpaintingMaskInvert: boolean;
}

/** What inpainting prepared: the processing-size mask, the overlay to composite over, where to paste. */
export interface MaskPlan {
  /** Processing-size mask (255 = repaint), what the latents and the 9-channel UNet see. */
  imageMask: Mask;
  /** Source-size mask the result is composited through (A1111's mask_for_overlay). */
  overlayMask: Mask;
  /** The crop of "only masked" inpainting, [x1, y1, x2, y2]. */
  crop: [number, number, number, number] | undefined;
}

export async function planMask(a: MaskRequest, width: number, height: number, extra: GenerationParams): Promise<MaskPlan | undefined> {
  if (a.mask === undefined) return undefined;
  let mask = binaryMask(a.mask, a.maskRound);
  const first = a.initImages[0];
  // A mask of another size than the image is scaled to it, so both crop the same region.
  if (first !== undefined && (first.width !== mask.width || first.height !== mask.height)) {
    mask = await resizeMask(mask, first.width, first.height, 'lanczos3');
  }
  if (a.inpaintingMaskInvert) {
    mask = invert(mask);
    extra.set('Mask mode', 'Inpaint not masked');
  }
  mask = gaussianBlur1d(mask, a.maskBlurX, true);
  mask = gaussianBlur1d(mask, a.maskBlurY, false);
  if (a.maskBlurX > 0 || a.maskBlurY > 0) extra.set('Mask blur', a.maskBlurX === a.maskBlurY ? pyInt(a.maskBlurX) : undefined);
  if (a.inpaintFullRes) {
    const region = cropRegion(mask, a.inpaintFullResPadding);
    if (region === undefined) {
      // A1111: 'Unable to perform "Inpaint Only mask" because mask is blank, switch to img2img mode.'
      return undefined;
    }
    const crop = expandCropRegion(region, width, height, mask.width, mask.height);
    const imageMask = await resizeMaskImage(2, cropMaskTo(mask, ...crop), width, height);
    extra.set('Inpaint area', 'Only masked');
    extra.set('Masked area padding', pyInt(a.inpaintFullResPadding));
    return { imageMask, overlayMask: mask, crop };
  }
  const imageMask = await resizeMaskImage(a.resizeMode, mask, width, height);
  const overlayMask = { width, height, data: imageMask.data.map((v) => Math.min(255, v * 2)) };
  return { imageMask, overlayMask, crop: undefined };
}

/** The result pasted into the source's crop (crop and resize) and composited under the overlay. */
export async function applyOverlay(result: RgbaImage, source: RgbaImage, plan: MaskPlan): Promise<RgbaImage> {
  let base = result;
  if (plan.crop === undefined && (result.width !== source.width || result.height !== source.height)) {
    base = await resizeImage(0, result, source.width, source.height);
  }
  if (plan.crop !== undefined) {
    const [x1, y1, x2, y2] = plan.crop;
    const pasted = await resizeImage(1, result, x2 - x1, y2 - y1);
    const canvas = new Uint8Array(source.width * source.height * 4);
    for (let y = 0; y < pasted.height; y++) {
      const dy = y1 + y;
      if (dy < 0 || dy >= source.height) continue;
      for (let x = 0; x < pasted.width; x++) {
        const dx = x1 + x;
        if (dx < 0 || dx >= source.width) continue;
        canvas.set(pasted.data.subarray((y * pasted.width + x) * 4, (y * pasted.width + x) * 4 + 4), (dy * source.width + dx) * 4);
      }
    }
    base = { width: source.width, height: source.height, data: canvas };
  }
  const overlayMask =
    plan.overlayMask.width === source.width && plan.overlayMask.height === source.height
      ? plan.overlayMask
      : await resizeMask(plan.overlayMask, source.width, source.height, 'lanczos3');
  const out = new Uint8Array(base.data.length);
  for (let i = 0; i < base.width * base.height; i++) {
    // overlay = source with alpha 255 − mask; image.alpha_composite(overlay), then RGB.
    const oa = 255 - (overlayMask.data[i] as number);
    const ba = base.data[i * 4 + 3] as number;
    for (let c = 0; c < 3; c++) {
      const s = source.data[i * 4 + c] as number;
      const d = base.data[i * 4 + c] as number;
      if (oa === 255) out[i * 4 + c] = s;
      else if (oa === 0) out[i * 4 + c] = ba === 0 ? 0 : d;
      else {
        const a = oa / 255;
        const outA = a + (ba / 255) * (1 - a);
        out[i * 4 + c] = Math.round(outA === 0 ? 0 : (s * a + d * (ba / 255) * (1 - a)) / outA);
      }
    }
    out[i * 4 + 3] = 255;
  }
  return { width: base.width, height: base.height, data: out };
}

/** Latent-size mask, 1 = repaint: the processing mask resized (bicubic, as PIL's default) and rounded. */
export async function latentMask(mask: Mask, lw: number, lh: number, round: boolean): Promise<Float32Array> {
  const small = await resizeMask(mask, lw, lh, 'cubic');
  return Float32Array.from(small.data, (v) => (round ? Math.round(v / 255) : v / 255));
}

/** `scriptExtra` sets the generation params a script adds before processing starts (SD upscale's). */
/** torch.nn.functional.interpolate(mask, size=latent) (nearest) of the rounded processing mask. */
export function nearestLatentMask(mask: Mask, lw: number, lh: number): Float32Array {
  const out = new Float32Array(lw * lh);
  for (let y = 0; y < lh; y++) {
    const sy = Math.min(mask.height - 1, Math.floor((y * mask.height) / lh));
    for (let x = 0; x < lw; x++) {
      const sx = Math.min(mask.width - 1, Math.floor((x * mask.width) / lw));
      out[y * lw + x] = Math.round((mask.data[sy * mask.width + sx] as number) / 255);
    }
  }
  return out;
}
