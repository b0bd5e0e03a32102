/**
 * Textual-inversion embeddings in the formats people have: A1111's `{'emb_params': [n, d]}` and
 * `{'string_to_param': {'*': [n, d]}, 'name', 'step', …}` (.safetensors, or .pt/.bin through the
 * safe unpickler), diffusers' learned_embeds `{token: [d] or [n, d]}`, and SDXL's
 * `{'clip_l': [n, 768], 'clip_g': [n, 1280]}`. The vectors are read at once (they are small).
 */
import { BridgeError } from '@latent-bridge/shared';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import type { ModelFamily } from '../models/families.js';

/** n vectors of width d, row-major. */
export interface EmbeddingVectors {
  count: number;
  width: number;
  values: Float32Array;
}

export interface EmbeddingFile {
  /** The trigger word: the file stem, as A1111 uses it. */
  name: string;
  /** Vectors for the first text encoder, and SDXL's second. */
  text_encoder: EmbeddingVectors;
  text_encoder_2?: EmbeddingVectors;
  /** A diffusers file's stored token (`<cat-toy>`), also accepted as a trigger. */
  token?: string;
}

async function vectors(source: TensorSource, key: string): Promise<EmbeddingVectors> {
  const shape = source.entry(key)?.shape ?? [];
  const [count, width] = shape.length === 1 ? [1, shape[0] ?? 0] : [shape[0] ?? 0, shape[1] ?? 0];
  if ((shape.length !== 1 && shape.length !== 2) || count < 1 || width < 1) {
    throw new BridgeError('checkpoint_invalid', `${source.file}: ${key} has shape [${shape.join(', ')}]; an embedding is [vectors, width]`, key);
  }
  const values = await source.readFloat32(key);
  if (!values.every(Number.isFinite)) throw new BridgeError('checkpoint_invalid', `${source.file}: ${key} holds non-finite values`, key);
  return { count, width, values };
}

/** Reads an embedding file; `name` is its trigger word (the file stem). */
export async function readEmbeddingFile(source: TensorSource, name: string): Promise<EmbeddingFile> {
  const keys = source.keys();
  if (keys.includes('clip_l') && keys.includes('clip_g')) {
    const first = await vectors(source, 'clip_l');
    const second = await vectors(source, 'clip_g');
    if (first.count !== second.count) throw new BridgeError('checkpoint_invalid', `${source.file}: clip_l has ${first.count} vectors, clip_g ${second.count}`, 'clip_g');
    return { name, text_encoder: first, text_encoder_2: second };
  }
  if (keys.includes('emb_params')) return { name, text_encoder: await vectors(source, 'emb_params') };
  const params = keys.filter((k) => k.startsWith('string_to_param.'));
  if (params.length === 1 && params[0] !== undefined) return { name, text_encoder: await vectors(source, params[0]) };
  if (params.length > 1) throw new BridgeError('checkpoint_unsupported', `${source.file} holds ${params.length} embeddings in string_to_param; only single-token embeddings are supported`, params[1]);
  // diffusers learned_embeds: one tensor named by its token.
  const tensors = keys.filter((k) => (source.entry(k)?.shape.length ?? 0) >= 1);
  if (tensors.length === 1 && tensors[0] !== undefined) return { name, text_encoder: await vectors(source, tensors[0]), token: tensors[0] };
  throw new BridgeError('checkpoint_unsupported', `${source.file} is not a textual-inversion embedding (no emb_params, string_to_param, clip_l/clip_g or single token tensor)`, 'file');
}

/** The family an embedding fits, from its widths: 768 SD 1.x, 1024 SD 2.x, 768 + 1280 SDXL. */
export function embeddingFamily(e: EmbeddingFile): ModelFamily | undefined {
  if (e.text_encoder_2 !== undefined) return 'sdxl';
  return e.text_encoder.width === 768 ? 'sd1' : e.text_encoder.width === 1024 ? 'sd2' : undefined;
}
