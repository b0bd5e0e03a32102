/**
 * TAESD (madebyollin/taesd, MIT) decoder weights under diffusers' AutoencoderTiny names
 * (`decoder.layers.N.*`, models/autoencoders/vae.py DecoderTiny). Two files in the wild:
 *
 * - the original `taesd_decoder.safetensors` / `.pth` (taesd.py): the nn.Sequential's own indices,
 *   whose entry 0 is the Clamp (no weights), so every module sits one index above diffusers';
 * - diffusers' AutoencoderTiny (`diffusion_pytorch_model.safetensors`): `decoder.layers.N.*` (and
 *   `encoder.layers.N.*`, which previews do not need).
 *
 * The table is data: per layout, how a key's module index and rest become the diffusers name.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { TensorSource } from '../../checkpoint/index.js';
import { fromSource, type LazyTensor } from '../../onnx/lazy-tensor.js';
import { WeightSet } from '../../onnx/weight-set.js';

export type TaesdLayout = 'original' | 'diffusers';

interface LayoutRule {
  /** Matches a decoder key; group 1 is the module index, group 2 the parameter path. */
  readonly pattern: RegExp;
  /** Added to the index to reach DecoderTiny's `layers` index. */
  readonly indexShift: number;
  /** Keys of the file that are not the decoder's and are left alone. */
  readonly ignore: RegExp | undefined;
}

export const TAESD_LAYOUTS: Readonly<Record<TaesdLayout, LayoutRule>> = {
  original: { pattern: /^(\d+)\.(.+)$/, indexShift: -1, ignore: undefined },
  diffusers: { pattern: /^decoder\.layers\.(\d+)\.(.+)$/, indexShift: 0, ignore: /^encoder\./ },
};

/** The diffusers name of the decoder's first conv (after the Clamp), whose shape tells the latent channels. */
export const TAESD_CONV_IN = 'decoder.layers.0.weight';

/** Which layout a file uses, or a typed error saying what the file is instead. */
export function detectTaesdLayout(source: TensorSource): TaesdLayout {
  const keys = source.keys();
  if (keys.some((k) => TAESD_LAYOUTS.diffusers.pattern.test(k))) return 'diffusers';
  if (keys.length > 0 && keys.every((k) => TAESD_LAYOUTS.original.pattern.test(k))) {
    // The original encoder starts with conv(3, 64) at index 0; the decoder's first conv is index 1.
    if (source.entry('0.weight') !== undefined && source.entry('1.weight') === undefined) {
      throw new BridgeError('model_invalid', `${source.file} is a TAESD encoder; previews need the decoder (taesd_decoder.safetensors)`, source.file);
    }
    return 'original';
  }
  if (keys.some((k) => k.startsWith('encoder.layers.'))) {
    throw new BridgeError('model_invalid', `${source.file} holds only an AutoencoderTiny encoder; previews need its decoder`, source.file);
  }
  throw new BridgeError('model_invalid', `${source.file} is not a TAESD decoder: no "decoder.layers.N" or Sequential-index keys (first key: ${keys[0] ?? 'none'})`, source.file);
}

/** The decoder's weights under diffusers names, with the layout they came from. */
export function taesdDecoderWeights(source: TensorSource): { layout: TaesdLayout; weights: WeightSet } {
  const layout = detectTaesdLayout(source);
  const rule = TAESD_LAYOUTS[layout];
  const tensors = new Map<string, LazyTensor>();
  for (const key of source.keys()) {
    if (rule.ignore?.test(key)) continue;
    const m = rule.pattern.exec(key);
    const index = m === null ? Number.NaN : Number(m[1]) + rule.indexShift;
    if (m === null || index < 0) {
      throw new BridgeError('model_invalid', `${source.file}: unexpected key ${key} for a TAESD decoder (${layout} layout)`, key);
    }
    const name = `decoder.layers.${index}.${m[2] ?? ''}`;
    if (tensors.has(name)) throw new BridgeError('model_invalid', `${source.file}: ${key} stored twice`, key);
    tensors.set(name, fromSource(source, key));
  }
  return { layout, weights: new WeightSet(tensors, 'taesd_decoder') };
}
