/**
 * diffusers folders: `vae/`, `text_encoder/`, `text_encoder_2/` already hold diffusers/transformers
 * names, so their tables are (nearly) the identity. Folders saved before diffusers 0.14 name the
 * VAE's mid attention `query/key/value/proj_attn` (diffusers still converts them on load,
 * `_convert_deprecated_attention_blocks`); text encoders use the CLIP table with no prefix.
 * Also here: which weight file of a component folder to read, as diffusers' `from_pretrained`
 * picks it (safetensors before pickles, the `variant` infix, sharded indexes).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { WeightSet } from '../../onnx/weight-set.js';
import { clipTextWeights } from './clip-text.js';
import { mapComponent, type ComponentWeights, type Layout } from './mapping.js';

const RESNET = String.raw`resnets\.\d+\.(?:norm1|conv1|norm2|conv2|conv_shortcut)\.(?:weight|bias)`;
const OLD_ATTENTION: Readonly<Record<string, string>> = { query: 'to_q', key: 'to_k', value: 'to_v', proj_attn: 'to_out.0' };

export const DIFFUSERS_VAE_LAYOUT: Layout = {
  name: 'diffusers AutoencoderKL',
  rules: [
    {
      from: new RegExp(
        String.raw`^((?:encoder|decoder)\.(?:conv_in|conv_out|conv_norm_out)\.(?:weight|bias)` +
          String.raw`|encoder\.down_blocks\.\d+\.(?:${RESNET}|downsamplers\.0\.conv\.(?:weight|bias))` +
          String.raw`|decoder\.up_blocks\.\d+\.(?:${RESNET}|upsamplers\.0\.conv\.(?:weight|bias))` +
          String.raw`|(?:encoder|decoder)\.mid_block\.(?:${RESNET}|attentions\.0\.(?:group_norm|to_q|to_k|to_v|to_out\.0)\.(?:weight|bias))` +
          String.raw`|(?:post_)?quant_conv\.(?:weight|bias))$`,
      ),
      to: '$1',
    },
    {
      from: /^(encoder|decoder)\.mid_block\.attentions\.0\.(query|key|value|proj_attn)\.(weight|bias)$/,
      to: (m) => `${m[1]}.mid_block.attentions.0.${OLD_ATTENTION[m[2] ?? ''] ?? ''}.${m[3]}`,
      transform: 'conv-to-linear',
    },
  ],
  ignore: [],
};

/** A diffusers `vae/` weight file. */
export function diffusersVaeWeights(source: TensorSource): ComponentWeights {
  const mapped = mapComponent(source, '', DIFFUSERS_VAE_LAYOUT, 'vae');
  return { weights: new WeightSet(mapped.tensors, 'vae'), ignored: mapped.ignored, warnings: [] };
}

/** A diffusers `text_encoder/` or `text_encoder_2/` weight file (transformers names, no prefix). */
export function diffusersTextWeights(source: TensorSource, component: 'text_encoder' | 'text_encoder_2'): ComponentWeights {
  return clipTextWeights(source, '', { component });
}

/** transformers components save `model.safetensors`, diffusers ones `diffusion_pytorch_model.safetensors`. */
export type WeightLibrary = 'transformers' | 'diffusers';

export function componentLibrary(component: string): WeightLibrary {
  return component.startsWith('text_encoder') ? 'transformers' : 'diffusers';
}

/** File names to try, best first: safetensors before pickles; with a variant, its files before plain ones. */
export function weightFileCandidates(library: WeightLibrary, variant?: string): string[] {
  const [safe, pickle] = library === 'transformers' ? ['model', 'pytorch_model'] : ['diffusion_pytorch_model', 'diffusion_pytorch_model'];
  const infixes = variant === undefined ? [''] : [`.${variant}`, ''];
  const names: string[] = [];
  for (const infix of infixes) {
    names.push(`${safe}${infix}.safetensors`, `${safe}${infix}.safetensors.index.json`);
  }
  for (const infix of infixes) {
    names.push(`${pickle}${infix}.bin`, `${pickle}${infix}.bin.index.json`);
  }
  return names;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

/** The shard files a `*.index.json` names (its weight_map values), in first-seen order. */
async function shardFiles(dir: string, indexFile: string): Promise<string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, indexFile), 'utf8'));
  } catch (err) {
    throw new BridgeError('model_invalid', `${join(dir, indexFile)} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, indexFile);
  }
  const map = typeof parsed === 'object' && parsed !== null ? (parsed as { weight_map?: unknown }).weight_map : undefined;
  if (typeof map !== 'object' || map === null) throw new BridgeError('model_invalid', `${join(dir, indexFile)} has no weight_map`, indexFile);
  const files: string[] = [];
  for (const value of Object.values(map)) {
    if (typeof value !== 'string' || value.includes('/') || value.includes('\\') || value.startsWith('.')) {
      throw new BridgeError('model_invalid', `${join(dir, indexFile)} names a shard outside its folder: ${String(value)}`, indexFile);
    }
    if (!files.includes(value)) files.push(value);
  }
  return files.map((f) => join(dir, f));
}

/**
 * The weight file(s) of `folder/component` (several for a sharded checkpoint). Without a variant
 * the plain files are taken, and a folder with only variant files still opens (as a user
 * expects); throws model_invalid listing what was looked for.
 */
export async function findComponentWeights(folder: string, component: string, variant?: string): Promise<string[]> {
  const dir = join(folder, component);
  const library = componentLibrary(component);
  const tried = weightFileCandidates(library, variant);
  const fallback = variant === undefined ? weightFileCandidates(library, 'fp16').filter((n) => !tried.includes(n)) : [];
  for (const name of [...tried, ...fallback]) {
    if (!(await isFile(join(dir, name)))) continue;
    return name.endsWith('.index.json') ? shardFiles(dir, name) : [join(dir, name)];
  }
  throw new BridgeError('model_invalid', `${dir} has no weights (looked for ${tried.join(', ')})`, component);
}
