/**
 * Pixels ↔ model tensors, matching diffusers bit for bit so results equal the reference pipelines.
 *
 * In:  VaeImageProcessor.preprocess does float32(v / 255) then 2·x − 1 in float32. That is not
 *      always the same float as v / 127.5 − 1, so the table below follows diffusers' order.
 * Out: VaeImageProcessor.postprocess: (x / 2 + 0.5).clamp(0, 1) in float32, then numpy_to_pil:
 *      (x · 255).round() in float32 — numpy rounds halves to even — then uint8. NaN becomes 0.
 * Masks (StableDiffusionInpaintPipeline): mask_processor has do_normalize=False, do_binarize=True,
 *      do_convert_grayscale=True: v / 255, then ≥ 0.5 → 1 else 0 (so v ≥ 128). The masked image is
 *      image · (mask < 0.5) and the latent mask is F.interpolate(mask, size=(H/8, W/8)) with its
 *      default 'nearest' mode, which reads source pixel floor(i · 8): the top-left of each 8×8 block.
 * Legacy inpaint (4-channel UNet) preprocess_mask: PIL NEAREST resize to H/8 × W/8 (pixel-centre
 *      sampling, 8i + 4), v / 255 kept soft, tiled to the latent channels and inverted (1 = keep).
 * Alpha is dropped on the way in: flatten transparent images first (see flattenAlpha).
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { LATENT_SCALE } from './geometry.js';
import { assertMask, assertMaskSize, assertRgba, pixelStride, type Mask, type OpaquePixels, type RgbaImage } from './pixels.js';

const f32 = Math.fround;

/** TO_MODEL[v] = float32(2 · float32(v / 255) − 1), diffusers' exact input values. */
const TO_MODEL = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = f32(2 * f32(v / 255) - 1);
  return t;
})();

/** Model value for one 8-bit sample (exported for tests and for callers building tensors themselves). */
export function toModelValue(v: number): number {
  return TO_MODEL[v & 255]!;
}

/** numpy's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One model output value (nominally in [-1, 1]) → 8-bit sample, as diffusers' postprocess does. */
export function fromModelValue(x: number): number {
  if (Number.isNaN(x)) return 0;
  let a = f32(f32(f32(x) / 2) + 0.5);
  if (a < 0) a = 0;
  else if (a > 1) a = 1;
  return roundHalfEven(f32(a * 255));
}

/** RGBA8 (or packed RGB8) → CHW float32 in [-1, 1] (3 planes, alpha dropped), written into out at offset when given. */
export function rgbaToChw(image: OpaquePixels, out?: Float32Array, offset = 0): Float32Array {
  const step = pixelStride(image);
  const plane = image.width * image.height;
  const target = out ?? new Float32Array(plane * 3);
  if (offset < 0 || offset + plane * 3 > target.length) throw invalidField('out', 'tensor buffer is too small');
  const d = image.data;
  const r = offset;
  const g = offset + plane;
  const b = offset + 2 * plane;
  for (let p = 0, s = 0; p < plane; p++, s += step) {
    target[r + p] = TO_MODEL[d[s]!]!;
    target[g + p] = TO_MODEL[d[s + 1]!]!;
    target[b + p] = TO_MODEL[d[s + 2]!]!;
  }
  return target;
}

/** Several same-size images → one NCHW float32 batch. */
export function rgbaBatchToNchw(images: readonly RgbaImage[]): Float32Array {
  const first = images[0];
  if (!first) throw invalidField('images', 'batch is empty');
  const size = first.width * first.height * 3;
  const out = new Float32Array(size * images.length);
  images.forEach((img, i) => {
    if (img.width !== first.width || img.height !== first.height) {
      const msg = `images[${i}]: ${img.width}×${img.height} differs from ${first.width}×${first.height}`;
      throw new BridgeError('image_invalid', msg, `images[${i}]`);
    }
    rgbaToChw(img, out, i * size);
  });
  return out;
}

/** CHW float32 (model output, [-1, 1]) at offset → opaque RGBA8 with diffusers' rounding. */
export function chwToRgba(data: Float32Array, width: number, height: number, offset = 0): RgbaImage {
  return { width, height, data: chwToPixels(data, width, height, offset, 4) };
}

/**
 * chwToRgba without the alpha byte: packed RGB8, as a resize takes an opaque image (edits scale
 * the decoded result straight back to the document).
 */
export function chwToRgb(data: Float32Array, width: number, height: number, offset = 0): Uint8Array {
  return chwToPixels(data, width, height, offset, 3);
}

/** The output conversion, into RGBA (alpha 255) or packed RGB. */
function chwToPixels(data: Float32Array, width: number, height: number, offset: number, step: 3 | 4): Uint8Array {
  const plane = width * height;
  if (!Number.isSafeInteger(plane) || plane <= 0 || offset < 0 || offset + plane * 3 > data.length) {
    const msg = `tensor of ${data.length} values does not hold a 3×${height}×${width} image at ${offset}`;
    throw new BridgeError('tensor_mismatch', msg, 'tensor');
  }
  const out = new Uint8Array(plane * step);
  // Storing into a Uint8ClampedArray is fromModelValue's last step done by the engine: clamp to
  // [0, 255], round halves to even, NaN to 0 (ECMAScript ToUint8Clamp).
  const clamped = new Uint8ClampedArray(out.buffer);
  if (step === 4) out.fill(255);
  const r = data.subarray(offset, offset + plane);
  const g = data.subarray(offset + plane, offset + 2 * plane);
  const b = data.subarray(offset + 2 * plane, offset + 3 * plane);
  for (let p = 0, o = 0; p < plane; p++, o += step) {
    clamped[o] = f32(f32(f32(r[p]! / 2) + 0.5) * 255);
    clamped[o + 1] = f32(f32(f32(g[p]! / 2) + 0.5) * 255);
    clamped[o + 2] = f32(f32(f32(b[p]! / 2) + 0.5) * 255);
  }
  return out;
}

/** NCHW batch → images. */
export function nchwToRgbaBatch(data: Float32Array, count: number, width: number, height: number): RgbaImage[] {
  const size = width * height * 3;
  if (!Number.isSafeInteger(count) || count < 1 || data.length !== count * size) {
    throw new BridgeError('tensor_mismatch', `tensor of ${data.length} values is not ${count}×3×${height}×${width}`, 'tensor');
  }
  return Array.from({ length: count }, (_, i) => chwToRgba(data, width, height, i * size));
}

/** diffusers' mask_condition: 1×H×W float32 of 0/1, where 1 (repaint) means coverage ≥ 128. */
export function binarizeMask(mask: Mask): Float32Array {
  assertMask(mask);
  const out = new Float32Array(mask.width * mask.height);
  const d = mask.data;
  for (let i = 0; i < d.length; i++) out[i] = d[i]! >= 128 ? 1 : 0;
  return out;
}

function checkLatentGrid(width: number, height: number, scale: number, field: string): void {
  if (!Number.isSafeInteger(scale) || scale < 1) throw invalidField('scale', 'must be a positive integer');
  if (width % scale !== 0 || height % scale !== 0) {
    throw invalidField(field, `${width}×${height} is not a multiple of ${scale}`);
  }
}

/** F.interpolate(mask_condition, size=(H/s, W/s)) in nearest mode: 1×(H/s)×(W/s), top-left sampling. */
export function latentMask(binary: Float32Array, width: number, height: number, scale = LATENT_SCALE): Float32Array {
  checkLatentGrid(width, height, scale, 'mask');
  if (binary.length !== width * height) {
    throw new BridgeError('mask_invalid', `mask: ${binary.length} values for ${width}×${height}`, 'mask');
  }
  const lw = width / scale;
  const lh = height / scale;
  const out = new Float32Array(lw * lh);
  for (let y = 0; y < lh; y++) for (let x = 0; x < lw; x++) out[y * lw + x] = binary[y * scale * width + x * scale]!;
  return out;
}

/** masked_image = image · (mask_condition < 0.5): repainted pixels become 0 (mid grey) in every channel. */
export function maskImageChw(chw: Float32Array, binary: Float32Array): Float32Array {
  const plane = binary.length;
  if (chw.length !== plane * 3) {
    throw new BridgeError('mask_invalid', `mask: ${plane} values do not match an image of ${chw.length / 3} pixels`, 'mask');
  }
  const out = new Float32Array(chw.length);
  for (let p = 0; p < plane; p++) {
    const keep = binary[p]! < 0.5 ? 1 : 0;
    out[p] = chw[p]! * keep;
    out[plane + p] = chw[plane + p]! * keep;
    out[2 * plane + p] = chw[2 * plane + p]! * keep;
  }
  return out;
}

export interface InpaintTensors {
  /** 3×H×W image in [-1, 1]. */
  readonly image: Float32Array;
  /** 3×H×W masked image (repaint area zeroed). */
  readonly maskedImage: Float32Array;
  /** 1×(H/8)×(W/8) binary mask, 1 = repaint. */
  readonly mask: Float32Array;
  readonly latentWidth: number;
  readonly latentHeight: number;
}

/** Everything the 9-channel inpaint UNet path needs from a model-size image and mask. */
export function prepareInpaintTensors(image: RgbaImage, mask: Mask, scale = LATENT_SCALE): InpaintTensors {
  assertRgba(image);
  assertMaskSize(mask, image);
  checkLatentGrid(image.width, image.height, scale, 'image');
  const chw = rgbaToChw(image);
  const binary = binarizeMask(mask);
  return {
    image: chw,
    maskedImage: maskImageChw(chw, binary),
    mask: latentMask(binary, image.width, image.height, scale),
    latentWidth: image.width / scale,
    latentHeight: image.height / scale,
  };
}

/** TO_MODEL[v] · 0: the masked image keeps the sign of zero, as torch's image · 0 does. */
const TO_MODEL_ZEROED = TO_MODEL.map((v) => v * 0);

/**
 * What a 9-channel UNet is conditioned on, read straight from the pixels: prepareInpaintTensors'
 * maskedImage and mask, bit for bit, without the unmasked tensor and binary plane in between.
 * The masked image is written into `out` when given (every value is overwritten).
 */
export function inpaintConditioning(
  image: OpaquePixels,
  mask: Mask,
  scale = LATENT_SCALE,
  out?: Float32Array,
): { maskedImage: Float32Array; mask: Float32Array } {
  const step = pixelStride(image);
  assertMaskSize(mask, image);
  checkLatentGrid(image.width, image.height, scale, 'image');
  const { width, height } = image;
  const plane = width * height;
  const d = image.data;
  const m = mask.data;
  if (out !== undefined && out.length !== plane * 3) throw invalidField('out', `holds ${out.length} values, not ${plane * 3}`);
  const maskedImage = out ?? new Float32Array(plane * 3);
  for (let p = 0, s = 0; p < plane; p++, s += step) {
    const table = m[p]! >= 128 ? TO_MODEL_ZEROED : TO_MODEL;
    maskedImage[p] = table[d[s]!]!;
    maskedImage[plane + p] = table[d[s + 1]!]!;
    maskedImage[2 * plane + p] = table[d[s + 2]!]!;
  }
  const lw = width / scale;
  const lh = height / scale;
  const latent = new Float32Array(lw * lh);
  for (let y = 0; y < lh; y++) for (let x = 0; x < lw; x++) latent[y * lw + x] = m[y * scale * width + x * scale]! >= 128 ? 1 : 0;
  return { maskedImage, mask: latent };
}

/**
 * The legacy (4-channel UNet) inpaint mask: channels×(H/s)×(W/s), soft, 1 = keep the original
 * latents, 0 = repaint. Sizes that are not multiples of s are cut down first, as diffusers does.
 */
export function legacyLatentMask(mask: Mask, scale = LATENT_SCALE, channels = 4): Float32Array {
  assertMask(mask);
  if (!Number.isSafeInteger(channels) || channels < 1) throw invalidField('channels', 'must be a positive integer');
  if (!Number.isSafeInteger(scale) || scale < 1) throw invalidField('scale', 'must be a positive integer');
  const w = mask.width - (mask.width % scale);
  const h = mask.height - (mask.height % scale);
  const lw = w / scale;
  const lh = h / scale;
  if (lw === 0 || lh === 0) {
    throw new BridgeError('mask_invalid', `mask: ${mask.width}×${mask.height} is smaller than one latent pixel`, 'mask');
  }
  const plane = lw * lh;
  const out = new Float32Array(plane * channels);
  // PIL's resize of the full image to (w/s, h/s) samples the source at floor((i + 0.5) · size / out).
  for (let y = 0; y < lh; y++) {
    const sy = Math.floor(((2 * y + 1) * mask.height) / (2 * lh));
    for (let x = 0; x < lw; x++) {
      const sx = Math.floor(((2 * x + 1) * mask.width) / (2 * lw));
      out[y * lw + x] = f32(1 - f32(mask.data[sy * mask.width + sx]! / 255));
    }
  }
  for (let c = 1; c < channels; c++) out.copyWithin(c * plane, 0, plane);
  return out;
}
