import { BridgeError } from '@latent-bridge/shared';
import { chwToRgba, type RgbaImage } from '../image/index.js';
import type { OnnxModel } from '../runtime/index.js';

/**
 * latents / scaling_factor through the VAE decoder, one image at a time as diffusers' ONNX pipeline
 * does (batched fp16 decoders are known to misbehave), then (x/2 + 0.5) clamped, ×255 rounded.
 */
export async function decodeLatents(
  decoder: OnnxModel,
  latents: Float32Array,
  shape: readonly [number, number, number, number],
  scalingFactor: number,
): Promise<RgbaImage[]> {
  const [batch, channels, h, w] = shape;
  const per = channels * h * w;
  const inv = Math.fround(1 / scalingFactor);
  const images: RgbaImage[] = [];
  for (let b = 0; b < batch; b++) {
    const scaled = new Float32Array(per);
    for (let i = 0; i < per; i++) scaled[i] = (latents[b * per + i] as number) * inv;
    const out = await decoder.run({ latent_sample: { data: scaled, dims: [1, channels, h, w] } });
    const sample = out['sample'] ?? Object.values(out)[0];
    if (!sample) throw new BridgeError('inference_failed', 'VAE decoder returned no output', 'vae_decoder');
    const [, c, height, width] = sample.dims;
    if (c !== 3 || height === undefined || width === undefined) {
      throw new BridgeError('tensor_mismatch', `vae_decoder output "sample": expected [1,3,H,W], got [${sample.dims.join(',')}]`, 'vae_decoder');
    }
    images.push(chwToRgba(sample.data as Float32Array, width, height));
  }
  return images;
}
