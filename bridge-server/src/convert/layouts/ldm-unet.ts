/**
 * CompVis/LDM (SD 1.x, SD 2.x) and SGM (SDXL) UNetModel names to diffusers UNet2DConditionModel
 * names, as diffusers' `convert_ldm_unet_checkpoint` maps them. With L layers per block:
 * - `input_blocks.0.0` = conv_in; `input_blocks.{1 + (L+1)·b + j}.0` = down block b resnet j,
 *   `.1` its attention; `input_blocks.{(L+1)·(b+1)}.0.op` = down block b's downsampler;
 * - `middle_block.{0,1,2}` = mid_block resnets.0, attentions.0, resnets.1;
 * - `output_blocks.{(L+1)·b + j}.0` = up block b resnet j (j ≤ L), `.1` its attention, and the
 *   upsampler of up block b at `output_blocks.{(L+1)·b + L}.{1 or 2}.conv` (2 when that layer
 *   also has an attention);
 * - `time_embed.{0,2}` = time_embedding.linear_{1,2}; SDXL `label_emb.0.{0,2}` =
 *   add_embedding.linear_{1,2}; `out.{0,2}` = conv_norm_out, conv_out.
 * Resnet inner names: in_layers.0 → norm1, in_layers.2 → conv1, emb_layers.1 → time_emb_proj,
 * out_layers.0 → norm2, out_layers.3 → conv2, skip_connection → conv_shortcut. Transformer inner
 * names are diffusers' already. SD 1.x proj_in/proj_out stay 1×1 convs; SD 2.x/SDXL's are Linear.
 * L is read off the keys (where the first downsampler sits), so any depth and level count maps.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { TensorEntry, TensorSource } from '../../checkpoint/tensor-source.js';
import { WeightSet } from '../../onnx/weight-set.js';
import { countIndices, mapComponent, type ComponentWeights, type Layout, type LayoutVariables } from './mapping.js';

/** Where SD single files keep the UNet. */
export const LDM_UNET_PREFIX = 'model.diffusion_model.';

const RESNET_NAMES: Readonly<Record<string, string>> = {
  'in_layers.0': 'norm1',
  'in_layers.2': 'conv1',
  'emb_layers.1': 'time_emb_proj',
  'out_layers.0': 'norm2',
  'out_layers.3': 'conv2',
  skip_connection: 'conv_shortcut',
};
const RESNET_PART = String.raw`(in_layers\.0|in_layers\.2|emb_layers\.1|out_layers\.0|out_layers\.3|skip_connection)\.(weight|bias)`;
/** SpatialTransformer / Transformer2DModel parameters (the same names in both libraries). */
export const TRANSFORMER_PART =
  String.raw`((?:norm|proj_in|proj_out)\.(?:weight|bias)` +
  String.raw`|transformer_blocks\.\d+\.(?:norm[123]|attn[12]\.to_out\.0|ff\.net\.0\.proj|ff\.net\.2)\.(?:weight|bias)` +
  String.raw`|transformer_blocks\.\d+\.attn[12]\.to_[qkv]\.weight)`;

const resnetName = (part: string | undefined): string => RESNET_NAMES[part ?? ''] ?? '';

function layoutError(key: string, why: string): BridgeError {
  return new BridgeError('model_invalid', `LDM UNet: ${key} ${why}`, key);
}

/** Layers per block: the first downsampler sits at input_blocks.{L+1}; a UNet without one has one level. */
function layersPerBlock(keys: readonly string[]): number {
  let first = Infinity;
  for (const key of keys) {
    const m = /^input_blocks\.(\d+)\.0\.op\.weight$/.exec(key);
    if (m !== null) first = Math.min(first, Number(m[1]));
  }
  if (first !== Infinity) return first - 1;
  return countIndices(keys, /^input_blocks\.(\d+)\./) - 1;
}

function perBlock(vars: LayoutVariables): number {
  const l = vars['layersPerBlock'] ?? 0;
  if (l < 1) throw new BridgeError('model_invalid', 'LDM UNet: cannot tell the layers per block (no input_blocks.N.M resnets)', 'input_blocks');
  return l + 1;
}

/** input_blocks.{i} (i ≥ 1) → [down block, layer]; layer L is the downsampler's slot. */
function downSlot(i: string | undefined, vars: LayoutVariables): [number, number] {
  const n = perBlock(vars);
  const index = Number(i) - 1;
  return [Math.floor(index / n), index % n];
}

function upSlot(i: string | undefined, vars: LayoutVariables): [number, number] {
  const n = perBlock(vars);
  const index = Number(i);
  return [Math.floor(index / n), index % n];
}

function downResnetOrAttention(m: RegExpExecArray, vars: LayoutVariables, kind: 'resnets' | 'attentions', rest: string): string {
  const [block, layer] = downSlot(m[1], vars);
  if (layer === perBlock(vars) - 1) throw layoutError(m[0], `sits where down block ${block}'s downsampler belongs`);
  return `down_blocks.${block}.${kind}.${layer}.${rest}`;
}

export const LDM_UNET_LAYOUT: Layout = {
  name: 'LDM UNet',
  variables: { layersPerBlock },
  rules: [
    { from: /^time_embed\.0\.(weight|bias)$/, to: 'time_embedding.linear_1.$1' },
    { from: /^time_embed\.2\.(weight|bias)$/, to: 'time_embedding.linear_2.$1' },
    // SDXL's `num_classes: sequential` ADM embedding is diffusers' text_time add_embedding.
    { from: /^label_emb\.0\.0\.(weight|bias)$/, to: 'add_embedding.linear_1.$1' },
    { from: /^label_emb\.0\.2\.(weight|bias)$/, to: 'add_embedding.linear_2.$1' },
    { from: /^input_blocks\.0\.0\.(weight|bias)$/, to: 'conv_in.$1' },
    { from: /^out\.0\.(weight|bias)$/, to: 'conv_norm_out.$1' },
    { from: /^out\.2\.(weight|bias)$/, to: 'conv_out.$1' },
    {
      from: /^input_blocks\.(\d+)\.0\.op\.(weight|bias)$/,
      to: (m, vars) => {
        const [block, layer] = downSlot(m[1], vars);
        if (layer !== perBlock(vars) - 1) throw layoutError(m[0], `is a downsampler where down block ${block}'s layer ${layer} belongs`);
        return `down_blocks.${block}.downsamplers.0.conv.${m[2]}`;
      },
    },
    {
      from: new RegExp(String.raw`^input_blocks\.([1-9]\d*)\.0\.${RESNET_PART}$`),
      to: (m, vars) => downResnetOrAttention(m, vars, 'resnets', `${resnetName(m[2])}.${m[3]}`),
    },
    {
      from: new RegExp(String.raw`^input_blocks\.([1-9]\d*)\.1\.${TRANSFORMER_PART}$`),
      to: (m, vars) => downResnetOrAttention(m, vars, 'attentions', m[2] ?? ''),
    },
    {
      from: new RegExp(String.raw`^middle_block\.([02])\.${RESNET_PART}$`),
      to: (m) => `mid_block.resnets.${m[1] === '0' ? 0 : 1}.${resnetName(m[2])}.${m[3]}`,
    },
    { from: new RegExp(String.raw`^middle_block\.1\.${TRANSFORMER_PART}$`), to: 'mid_block.attentions.0.$1' },
    {
      from: new RegExp(String.raw`^output_blocks\.(\d+)\.0\.${RESNET_PART}$`),
      to: (m, vars) => {
        const [block, layer] = upSlot(m[1], vars);
        return `up_blocks.${block}.resnets.${layer}.${resnetName(m[2])}.${m[3]}`;
      },
    },
    {
      from: new RegExp(String.raw`^output_blocks\.(\d+)\.1\.${TRANSFORMER_PART}$`),
      to: (m, vars) => {
        const [block, layer] = upSlot(m[1], vars);
        return `up_blocks.${block}.attentions.${layer}.${m[2] ?? ''}`;
      },
    },
    {
      from: /^output_blocks\.(\d+)\.([12])\.conv\.(weight|bias)$/,
      to: (m, vars) => {
        const [block, layer] = upSlot(m[1], vars);
        if (layer !== perBlock(vars) - 1) throw layoutError(m[0], `is an upsampler in layer ${layer} of up block ${block}; only the last layer has one`);
        return `up_blocks.${block}.upsamplers.0.conv.${m[3]}`;
      },
    },
  ],
  ignore: [],
};

/**
 * The flattened EMA name of a UNet key, as LitEma stores it and diffusers' `extract_ema` reads it:
 * "model_ema." + the key without its first component and without dots
 * (`model.diffusion_model.input_blocks.0.0.weight` → `model_ema.diffusion_modelinput_blocks00weight`).
 */
export function emaKey(key: string): string {
  return `model_ema.${key.split('.').slice(1).join('')}`;
}

/** How many `model_ema.*` tensors mark a file as carrying an EMA copy (diffusers' threshold). */
const EMA_MIN_KEYS = 100;

/**
 * The checkpoint seen with the EMA weights under the live UNet names: keys under `prefix` read
 * their `model_ema.` twin. Every UNet key must have one, with the same shape.
 */
export class EmaView implements TensorSource {
  readonly file: string;
  readonly metadata: Readonly<Record<string, string>>;

  constructor(
    private readonly source: TensorSource,
    private readonly prefix: string,
  ) {
    this.file = `${source.file} (EMA copy)`;
    this.metadata = source.metadata;
    const emaKeys = source.keys().filter((k) => k.startsWith('model_ema.')).length;
    if (emaKeys <= EMA_MIN_KEYS) {
      throw new BridgeError('model_invalid', `${source.file} has no EMA copy of the UNet (${emaKeys} model_ema.* tensors); import without EMA`, 'model_ema');
    }
    for (const key of source.keys()) {
      if (!key.startsWith(prefix)) continue;
      const live = source.entry(key);
      const ema = source.entry(emaKey(key));
      if (ema === undefined) throw new BridgeError('model_invalid', `${source.file}: the EMA copy lacks ${emaKey(key)} (for ${key})`, emaKey(key));
      if (live !== undefined && live.shape.join(',') !== ema.shape.join(',')) {
        throw new BridgeError(
          'model_invalid',
          `${source.file}: ${emaKey(key)} has shape [${ema.shape.join(', ')}], ${key} has [${live.shape.join(', ')}]`,
          emaKey(key),
        );
      }
    }
  }

  keys(): readonly string[] {
    return this.source.keys().filter((k) => k.startsWith(this.prefix));
  }

  entry(key: string): TensorEntry | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const ema = this.source.entry(emaKey(key));
    return ema === undefined ? undefined : { ...ema, key };
  }

  readRaw(key: string): Promise<Uint8Array> {
    return this.source.readRaw(emaKey(key));
  }

  readFloat32(key: string): Promise<Float32Array> {
    return this.source.readFloat32(emaKey(key));
  }

  close(): Promise<void> {
    return this.source.close();
  }
}

export interface LdmUnetOptions {
  /** Where the UNet sits in the file; default `model.diffusion_model.`. */
  prefix?: string;
  /** Read the EMA copy (`model_ema.*`) instead of the live weights; only when the user asks. */
  ema?: boolean;
}

/** The UNet of an LDM/SGM single file under diffusers names (lazy: nothing is read yet). */
export function ldmUnetWeights(source: TensorSource, o: LdmUnetOptions = {}): ComponentWeights {
  const prefix = o.prefix ?? LDM_UNET_PREFIX;
  const from = o.ema === true ? new EmaView(source, prefix) : source;
  const mapped = mapComponent(from, prefix, LDM_UNET_LAYOUT, 'unet');
  const warnings: string[] = [];
  if (o.ema !== true && source.keys().filter((k) => k.startsWith('model_ema.')).length > EMA_MIN_KEYS) {
    warnings.push(`${source.file} also holds EMA weights; the live (non-EMA) UNet weights were imported (ask for EMA to use those)`);
  }
  return { weights: new WeightSet(mapped.tensors, 'unet'), ignored: mapped.ignored, warnings };
}
