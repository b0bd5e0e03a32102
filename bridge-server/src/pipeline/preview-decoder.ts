/**
 * Step previews through TAESD, the tiny autoencoder, when one is installed for a model: in the
 * model's own folder (`<model>/taesd_decoder/model.onnx`) or shared by every model of its latent
 * space in the store's previews folder (`<store>/.previews/taesd|taesdxl/model.onnx`). SD 1.x and
 * 2.x share SD's VAE latent space (taesd); SDXL has its own (taesdxl).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { chwToRgba, type RgbaImage } from '../image/index.js';
import type { ModelFamily } from '../models/families.js';
import type { ModelInfo } from '../models/index.js';
import type { OnnxModel } from '../runtime/index.js';

export type TaesdVariant = 'taesd' | 'taesdxl';
export const TAESD_FOLDER = 'taesd_decoder';
export const PREVIEWS_FOLDER = '.previews';

export function taesdVariantFor(family: ModelFamily): TaesdVariant {
  return family === 'sdxl' ? 'taesdxl' : 'taesd';
}

/** Where a TAESD decoder for `info` would be, most specific first. */
export function taesdCandidates(info: Pick<ModelInfo, 'dir' | 'family'>): string[] {
  return [
    path.join(info.dir, TAESD_FOLDER, 'model.onnx'),
    path.join(path.dirname(info.dir), PREVIEWS_FOLDER, taesdVariantFor(info.family), 'model.onnx'),
  ];
}

export async function findTaesdDecoder(info: Pick<ModelInfo, 'dir' | 'family'>): Promise<string | undefined> {
  for (const file of taesdCandidates(info)) {
    if ((await stat(file).catch(() => undefined))?.isFile() === true) return file;
  }
  return undefined;
}

/** Batch item `index` of [batch, 4, h, w] latents (as the UNet sees them) as an 8h × 8w preview. */
export async function taesdPreview(decoder: OnnxModel, latents: Float32Array, shape: readonly [number, number, number, number], index: number): Promise<RgbaImage> {
  const [, c, h, w] = shape;
  const per = c * h * w;
  const item = latents.slice(index * per, (index + 1) * per);
  const out = await decoder.run({ latent_sample: { data: item, dims: [1, c, h, w] } });
  const sample = out['sample'];
  const [, oc, oh, ow] = sample?.dims ?? [];
  if (sample === undefined || oc !== 3 || oh === undefined || ow === undefined) {
    throw new BridgeError('tensor_mismatch', `${decoder.label}: expected "sample" [1,3,H,W]`, decoder.label);
  }
  // TAESD gives [0, 1]; the byte conversion takes [-1, 1].
  const data = sample.data as Float32Array;
  const scaled = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) scaled[i] = (data[i] as number) * 2 - 1;
  return chwToRgba(scaled, ow, oh);
}
