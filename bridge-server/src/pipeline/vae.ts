import { BridgeError } from '@latent-bridge/shared';
import { chwToRgb, chwToRgba, type RgbaImage, type RgbImage } from '../image/index.js';
import type { OnnxModel } from '../runtime/index.js';
import { decodeTiled } from './vae-tiling/tiled-decode.js';
import { encodeTiled } from './vae-tiling/tiled-encode.js';
import { usesTiles, type VaeTilingOptions } from './vae-tiling/tiling-options.js';

/**
 * How a VAE half runs in tiles when the image is large: the tiling options and the
 * GroupNorm-statistics variant of the model (opened only when tiles are used).
 */
export interface VaeTiles {
  readonly options: VaeTilingOptions;
  variant(): Promise<OnnxModel>;
  readonly signal?: AbortSignal | undefined;
}

/**
 * latents / scaling_factor through the VAE decoder, one image at a time as diffusers' ONNX pipeline
 * does (batched fp16 decoders are known to misbehave), then (x/2 + 0.5) clamped, ×255 rounded.
 */
export async function decodeLatents(
  decoder: OnnxModel,
  latents: Float32Array,
  shape: readonly [number, number, number, number],
  scalingFactor: number,
  tiles?: VaeTiles,
): Promise<RgbaImage[]> {
  if (tiles !== undefined && usesTiles(tiles.options, shape[2], shape[3])) {
    return (await decodeItemsTiled(tiles, latents, shape, scalingFactor, 4)).map((data) => ({ width: shape[3] * 8, height: shape[2] * 8, data }));
  }
  const planes = await decodePlanes(decoder, latents, shape, scalingFactor);
  return planes.map((p) => chwToRgba(p.data, p.width, p.height));
}

/** decodeLatents as packed RGB: the same samples without the alpha byte. */
export async function decodeLatentsRgb(
  decoder: OnnxModel,
  latents: Float32Array,
  shape: readonly [number, number, number, number],
  scalingFactor: number,
  tiles?: VaeTiles,
): Promise<RgbImage[]> {
  if (tiles !== undefined && usesTiles(tiles.options, shape[2], shape[3])) {
    return (await decodeItemsTiled(tiles, latents, shape, scalingFactor, 3)).map((data) => ({ width: shape[3] * 8, height: shape[2] * 8, data }));
  }
  const planes = await decodePlanes(decoder, latents, shape, scalingFactor);
  return planes.map((p) => ({ width: p.width, height: p.height, data: chwToRgb(p.data, p.width, p.height) }));
}

/** Each batch item through the tiled decoder (latents / scaling_factor, as the untiled path). */
async function decodeItemsTiled(
  tiles: VaeTiles,
  latents: Float32Array,
  shape: readonly [number, number, number, number],
  scalingFactor: number,
  channels: 3 | 4,
): Promise<Uint8Array[]> {
  const [batch, c, h, w] = shape;
  const per = c * h * w;
  const inv = Math.fround(1 / scalingFactor);
  const model = await tiles.variant();
  const out: Uint8Array[] = [];
  for (let b = 0; b < batch; b++) {
    const scaled = new Float32Array(per);
    for (let i = 0; i < per; i++) scaled[i] = (latents[b * per + i] as number) * inv;
    out.push(await decodeTiled(model, { data: scaled, channels: c, height: h, width: w }, tiles.options, channels, tiles.signal));
  }
  return out;
}

async function decodePlanes(
  decoder: OnnxModel,
  latents: Float32Array,
  shape: readonly [number, number, number, number],
  scalingFactor: number,
): Promise<Array<{ data: Float32Array; width: number; height: number }>> {
  const [batch, channels, h, w] = shape;
  const per = channels * h * w;
  const inv = Math.fround(1 / scalingFactor);
  const planes: Array<{ data: Float32Array; width: number; height: number }> = [];
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
    planes.push({ data: sample.data as Float32Array, width, height });
  }
  return planes;
}

/**
 * What the VAE encoder gives for one image, unscaled: the diffusers ONNX export returns a sample
 * ("latent_sample", 4 channels); optimum returns the distribution ("latent_parameters": mean then
 * logvar, 8 channels), which the pipeline samples with its own generator as diffusers does.
 */
export interface EncodedImage {
  mean: Float32Array;
  /** Present when the encoder returned distribution parameters. */
  logvar: Float32Array | undefined;
  /** [1, 4, h, w] */
  dims: readonly [1, number, number, number];
}

/** True when the encoder returns mean and logvar, so encoding draws from the generator. */
export function encoderDrawsNoise(encoder: OnnxModel): boolean {
  const out = encoder.output('latent_parameters') ?? encoder.output('latent_sample') ?? encoder.outputs[0];
  return out?.name === 'latent_parameters' || out?.dims[1] === 8;
}

/** One image, 3×H×W in [-1, 1], through the VAE encoder (one image per run, like the decoder; in tiles when large). */
export async function encodeImage(encoder: OnnxModel, chw: Float32Array, width: number, height: number, tiles?: VaeTiles): Promise<EncodedImage> {
  let result;
  if (tiles !== undefined && usesTiles(tiles.options, height / 8, width / 8)) {
    const planes = await encodeTiled(await tiles.variant(), { data: chw, channels: 3, height, width }, tiles.options, tiles.signal);
    result = { data: planes.data, dims: [1, planes.channels, planes.height, planes.width] as readonly number[] };
  } else {
    const out = await encoder.run({ sample: { data: chw, dims: [1, 3, height, width] } });
    result = out['latent_parameters'] ?? out['latent_sample'] ?? Object.values(out)[0];
  }
  if (!result) throw new BridgeError('inference_failed', 'VAE encoder returned no output', 'vae_encoder');
  const [n, c, h, w] = result.dims;
  if (n !== 1 || (c !== 4 && c !== 8) || h === undefined || w === undefined) {
    throw new BridgeError('tensor_mismatch', `vae_encoder output: expected [1,4|8,h,w], got [${result.dims.join(',')}]`, 'vae_encoder');
  }
  const data = result.data as Float32Array;
  const plane = 4 * h * w;
  return {
    mean: c === 4 ? data : data.slice(0, plane),
    logvar: c === 8 ? data.slice(plane) : undefined,
    dims: [1, 4, h, w],
  };
}

/**
 * scaling_factor · latent for one encoded image: DiagonalGaussianDistribution.sample —
 * mean + exp(0.5 · clamp(logvar, -30, 20)) · eps, eps from the generator — or the sample as it is.
 */
export function scaleEncoded(encoded: EncodedImage, eps: Float32Array | undefined, scalingFactor: number): Float32Array {
  const { mean, logvar } = encoded;
  const sf = Math.fround(scalingFactor);
  const out = new Float32Array(mean.length);
  for (let i = 0; i < out.length; i++) {
    let x = mean[i] as number;
    if (logvar && eps) {
      const lv = Math.min(20, Math.max(-30, logvar[i] as number));
      const std = Math.fround(Math.exp(Math.fround(0.5 * lv)));
      x = Math.fround(x + Math.fround(std * (eps[i] as number)));
    }
    out[i] = sf * x;
  }
  return out;
}
