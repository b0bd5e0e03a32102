import type { RgbaImage } from '../image/index.js';

/**
 * A decoder that turns one batch item of [batch, 4, h, w] latents into a full-size preview (TAESD,
 * pipeline/preview-decoder.ts). When a model has one, step previews use it; otherwise, or when it
 * fails, the linear map below.
 */
export type PreviewDecoder = (latents: Float32Array, shape: readonly [number, number, number, number], index: number) => Promise<RgbaImage>;

/** The preview of one batch item: the decoder's when there is one and it succeeds, else the linear map's. */
export async function stepPreview(
  decoder: PreviewDecoder | undefined,
  latents: Float32Array,
  shape: readonly [number, number, number, number],
  index: number,
): Promise<RgbaImage> {
  if (decoder !== undefined) {
    const image = await decoder(latents, shape, index).catch(() => undefined);
    if (image !== undefined) return image;
  }
  return latentPreview(latents, shape, index);
}

/**
 * The widely published linear map from SD 1.x latent channels to RGB (rows: latent channel
 * 1–4, columns: R, G, B), fitted on decoded images by keturn. It turns latents into a rough
 * colour picture at 1/8 of the image size without running the VAE: microseconds, not seconds.
 */
export const SD1_LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

/**
 * One batch item of [batch, 4, h, w] latents as an h×w opaque RGBA image. The map gives values
 * around [-1, 1]; they are shown as (v + 1) / 2.
 */
export function latentPreview(latents: Float32Array, shape: readonly [number, number, number, number], index: number): RgbaImage {
  const [, channels, h, w] = shape;
  const plane = h * w;
  const base = index * channels * plane;
  const data = new Uint8Array(plane * 4);
  for (let p = 0; p < plane; p++) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let c = 0; c < 4 && c < channels; c++) {
      const v = latents[base + c * plane + p] as number;
      const f = SD1_LATENT_RGB_FACTORS[c] as readonly [number, number, number];
      r += v * f[0];
      g += v * f[1];
      b += v * f[2];
    }
    data[p * 4] = toByte(r);
    data[p * 4 + 1] = toByte(g);
    data[p * 4 + 2] = toByte(b);
    data[p * 4 + 3] = 255;
  }
  return { width: w, height: h, data };
}

function toByte(v: number): number {
  const x = Math.round(((v + 1) / 2) * 255);
  return x < 0 ? 0 : x > 255 ? 255 : Number.isNaN(x) ? 0 : x;
}
