/**
 * diffusers AutoencoderKL config for an imported VAE: the block structure from the tensors'
 * shapes; GroupNorm groups (32: LDM's Normalize fixes it), the scaling factor (0.18215; SDXL
 * 0.13025) and force_upcast from the family, unless a diffusers config.json or the original
 * .yaml (`first_stage_config.params.ddconfig`, `model.params.scale_factor`) says otherwise; what
 * they say about the structure must agree with the tensors. Mirrors diffusers'
 * `create_vae_diffusers_config_from_ldm`.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { FloatType } from '../onnx/graph-builder.js';
import type { WeightSet } from '../onnx/weight-set.js';
import type { AutoencoderKLArchitecture } from '../graphs/vae.js';
import { agree, booleanAt, numberAt, numberListAt } from './config-values.js';
import { vaeScalingFactor, type ModelFamily } from '../models/families.js';
import type { OriginalConfig } from './ldm-yaml.js';
import { DIFFUSERS_VERSION } from './folder-files.js';
import { countIndices } from './layouts/mapping.js';

export interface AutoencoderKLConfig extends AutoencoderKLArchitecture {
  _class_name: 'AutoencoderKL';
  _diffusers_version: string;
  act_fn: 'silu';
  down_block_types: string[];
  up_block_types: string[];
  sample_size: number;
  scaling_factor: number;
  shift_factor: null;
  latents_mean: null;
  latents_std: null;
  force_upcast: boolean;
}

export interface VaeConfigOptions {
  family: ModelFamily;
  /** diffusers' sample_size (the training image side); default 1024 for SDXL, else 512. */
  sampleSize?: number;
  /**
   * The VAE is one that stays finite in float16 (madebyollin's sdxl-vae-fp16-fix, or any SD 1.x/2.x
   * VAE): force_upcast false. Shapes cannot tell the fp16-fix SDXL VAE from the original.
   */
  fp16Safe?: boolean;
  /** A diffusers vae/config.json. */
  configJson?: unknown;
  /** The original LDM/SGM .yaml (its ddconfig and scale_factor). */
  original?: Pick<OriginalConfig, 'vae' | 'scaleFactor'>;
}

function shapeOf(weights: WeightSet, name: string): readonly number[] | undefined {
  return weights.shape(name);
}

function dim(weights: WeightSet, name: string, axis: number): number | undefined {
  return shapeOf(weights, name)?.[axis];
}

function missing(weights: WeightSet, what: string): BridgeError {
  return new BridgeError('model_invalid', `${weights.component}: cannot tell the ${what} from the weights (neither encoder nor decoder has it)`, what);
}

/** Block widths, full resolution first, from the encoder's (or, lacking it, the decoder's) first resnets. */
function blockChannels(weights: WeightSet): number[] {
  const names = weights.names();
  const down = countIndices(names, /^encoder\.down_blocks\.(\d+)\./);
  const up = countIndices(names, /^decoder\.up_blocks\.(\d+)\./);
  if (down > 0 && up > 0 && down !== up) {
    throw new BridgeError('model_invalid', `${weights.component}: the encoder has ${down} levels, the decoder ${up}`, 'decoder.up_blocks');
  }
  const levels = Math.max(down, up);
  return Array.from({ length: levels }, (_, i) => {
    const width =
      down > 0 ? dim(weights, `encoder.down_blocks.${i}.resnets.0.conv1.weight`, 0) : dim(weights, `decoder.up_blocks.${levels - 1 - i}.resnets.0.conv1.weight`, 0);
    if (width === undefined) throw missing(weights, `width of level ${i}`);
    return width;
  });
}

function layersPerBlock(weights: WeightSet): number {
  const names = weights.names();
  const encoder = countIndices(names, /^encoder\.down_blocks\.0\.resnets\.(\d+)\./);
  const decoder = countIndices(names, /^decoder\.up_blocks\.0\.resnets\.(\d+)\./);
  if (encoder > 0 && decoder > 0 && decoder !== encoder + 1) {
    throw new BridgeError('model_invalid', `${weights.component}: ${encoder} resnets per encoder level but ${decoder} per decoder level (expected ${encoder + 1})`, 'decoder.up_blocks.0.resnets');
  }
  if (encoder > 0) return encoder;
  if (decoder > 1) return decoder - 1;
  throw missing(weights, 'layers per block');
}

export function deriveVaeConfig(weights: WeightSet, o: VaeConfigOptions): AutoencoderKLConfig {
  const json = o.configJson;
  const jsonWhere = 'vae config.json';
  const yamlWhere = 'the .yaml';
  const ddconfig = o.original?.vae;

  const blocks = blockChannels(weights);
  const layers = layersPerBlock(weights);
  const latent = dim(weights, 'decoder.conv_in.weight', 1) ?? (dim(weights, 'encoder.conv_out.weight', 0) ?? NaN) / 2;
  if (!Number.isInteger(latent)) throw missing(weights, 'latent channels');
  const inChannels = dim(weights, 'encoder.conv_in.weight', 1) ?? numberAt(json, 'in_channels', jsonWhere) ?? 3;
  const outChannels = dim(weights, 'decoder.conv_out.weight', 0) ?? numberAt(json, 'out_channels', jsonWhere) ?? 3;

  const ch = numberAt(ddconfig, 'ch', yamlWhere);
  const mult = numberListAt(ddconfig, 'ch_mult', yamlWhere);
  agree(ch !== undefined && mult !== undefined ? mult.map((m) => m * ch) : undefined, blocks, 'ch × ch_mult', yamlWhere);
  agree(numberAt(ddconfig, 'num_res_blocks', yamlWhere), layers, 'num_res_blocks', yamlWhere);
  agree(numberAt(ddconfig, 'z_channels', yamlWhere), latent, 'z_channels', yamlWhere);
  agree(numberAt(ddconfig, 'in_channels', yamlWhere), inChannels, 'in_channels', yamlWhere);
  agree(numberAt(ddconfig, 'out_ch', yamlWhere), outChannels, 'out_ch', yamlWhere);

  const scaling =
    numberAt(json, 'scaling_factor', jsonWhere) ?? o.original?.scaleFactor ?? vaeScalingFactor(o.family);
  return {
    _class_name: 'AutoencoderKL',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    in_channels: agree(numberAt(json, 'in_channels', jsonWhere), inChannels, 'in_channels', jsonWhere),
    out_channels: agree(numberAt(json, 'out_channels', jsonWhere), outChannels, 'out_channels', jsonWhere),
    down_block_types: blocks.map(() => 'DownEncoderBlock2D'),
    up_block_types: blocks.map(() => 'UpDecoderBlock2D'),
    block_out_channels: agree(numberListAt(json, 'block_out_channels', jsonWhere), blocks, 'block_out_channels', jsonWhere),
    layers_per_block: agree(numberAt(json, 'layers_per_block', jsonWhere), layers, 'layers_per_block', jsonWhere),
    latent_channels: agree(numberAt(json, 'latent_channels', jsonWhere), latent, 'latent_channels', jsonWhere),
    norm_num_groups: numberAt(json, 'norm_num_groups', jsonWhere) ?? 32,
    sample_size: numberAt(json, 'sample_size', jsonWhere) ?? o.sampleSize ?? (o.family === 'sdxl' ? 1024 : 512),
    scaling_factor: scaling,
    shift_factor: null,
    latents_mean: null,
    latents_std: null,
    force_upcast: booleanAt(json, 'force_upcast', jsonWhere) ?? !(o.fp16Safe ?? false),
    mid_block_add_attention: weights.has('decoder.mid_block.attentions.0.to_q.weight') || weights.has('encoder.mid_block.attentions.0.to_q.weight'),
    use_quant_conv: weights.has('quant_conv.weight'),
    use_post_quant_conv: weights.has('post_quant_conv.weight'),
  };
}

/**
 * The float type to build the VAE in for an import at `requested`. SDXL's original VAE overflows
 * in float16 (its decoder's activations pass 65504; diffusers' SDXL pipelines upcast it to float32
 * when `force_upcast`), so an fp16 SDXL import keeps the VAE in float32 unless the VAE is known to
 * be fp16-safe (the sdxl-vae-fp16-fix, force_upcast false). SD 1.x/2.x VAEs run in float16.
 */
export function vaeFloatType(family: ModelFamily, requested: FloatType, forceUpcast: boolean): FloatType {
  return requested === 'float16' && family === 'sdxl' && forceUpcast ? 'float32' : requested;
}
