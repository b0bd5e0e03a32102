/**
 * The diffusers UNet2DConditionModel config of an imported UNet: the structure from the weights'
 * shapes (unet-shapes.ts); from the family only what shapes cannot tell — heads (SD 1.x: 8 heads;
 * SD 2.x/SDXL: 64-wide heads, so `attention_head_dim` lists C/64 per level, diffusers' naming
 * quirk), sample_size (64; 96 for SD 2.x v-prediction; 128 for SDXL), upcast_attention (SD 2.x:
 * true, as the stable-diffusion-2-1 config diffusers' single-file loader uses), SDXL's
 * addition_time_embed_dim 256, GroupNorm(32, eps 1e-5). A diffusers unet/config.json or the
 * original LDM/SGM .yaml (`model.params.unet_config.params` / `network_config.params`) overrides
 * those; what they say about the structure must agree with the weights.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { ModelFamily, PredictionType } from '../models/families.js';
import type { WeightSet } from '../onnx/weight-set.js';
import { unetArchitecture, type UNet2DConditionConfig, type UnetArchitecture } from '../graphs/unet-architecture.js';
import { DIFFUSERS_VERSION } from './folder-files.js';
import type { OriginalConfig } from './ldm-yaml.js';
import { readDiffusersUnetConfig, readLdmUnetConfig } from './unet-config-files.js';
import { unetShapes, type UnetShapes } from './unet-shapes.js';

export interface UnetConfigOptions {
  family: ModelFamily;
  /** SD 2.x 768-v models train at 96×96 latents. */
  prediction?: PredictionType;
  /** A diffusers unet/config.json, parsed. */
  configJson?: unknown;
  /** The original LDM/SGM .yaml's UNet section (ldm-yaml.ts). */
  original?: Pick<OriginalConfig, 'unet' | 'file'>;
}

/** SD 1.x UNets have 8 heads at every level; SD 2.x and SDXL 64-wide heads. */
const SD1_HEADS = 8;
const HEAD_WIDTH = 64;
const SDXL_TIME_EMBED_DIM = 256;

function familyHeads(family: ModelFamily, channels: readonly number[]): number | number[] {
  if (family === 'sd1') return SD1_HEADS;
  return channels.map((c) => {
    if (c % HEAD_WIDTH !== 0) {
      throw new BridgeError('model_invalid', `unet: level width ${c} is not a multiple of ${HEAD_WIDTH}-wide heads (${family}); give a config with the head count`, 'attention_head_dim');
    }
    return c / HEAD_WIDTH;
  });
}

function sampleSize(family: ModelFamily, prediction: PredictionType | undefined): number {
  if (family === 'sdxl') return 128;
  return family === 'sd2' && prediction === 'v_prediction' ? 96 : 64;
}

/**
 * transformer_layers_per_block as diffusers writes it: an int when every transformer has the same
 * depth; a list per level when levels differ (SDXL [1, 2, 10]); lists per layer, with
 * reverse_transformer_layers_per_block for the up blocks, only when depths vary inside a block.
 * Levels without attention carry 1 (diffusers' default; SDXL's config has it for level 0).
 */
function transformerLayers(s: UnetShapes): Pick<UNet2DConditionConfig, 'transformer_layers_per_block' | 'reverse_transformer_layers_per_block'> {
  const fill = (depths: readonly number[]) => depths.map((d) => (d === 0 ? 1 : d));
  const down = s.downDepths.map(fill);
  const up = s.upDepths.map(fill);
  const uniform = (d: readonly number[]) => d.every((x) => x === d[0]);
  const perLevel = down.map((d) => d[0] ?? 1);
  const levels = perLevel.length;
  const upMatches = up.every((d, i) => d.every((x) => x === perLevel[levels - 1 - i]));
  if (down.every(uniform) && upMatches) {
    return {
      transformer_layers_per_block: perLevel.every((d) => d === perLevel[0]) ? (perLevel[0] ?? 1) : perLevel,
      reverse_transformer_layers_per_block: null,
    };
  }
  return { transformer_layers_per_block: down, reverse_transformer_layers_per_block: up };
}

/** The config the weights and the family imply, before any config file is applied. */
export function configFromShapes(s: UnetShapes, family: ModelFamily, prediction?: PredictionType): UNet2DConditionConfig {
  const attention = (d: readonly number[]) => d.some((x) => x > 0);
  const text = s.addEmbeddingInputDim !== undefined;
  const layers = transformerLayers(s);
  // Keys in the order diffusers' to_json_string (sort_keys=True) writes them.
  return {
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    addition_embed_type: text ? 'text_time' : null,
    addition_embed_type_num_heads: 64,
    addition_time_embed_dim: text ? SDXL_TIME_EMBED_DIM : null,
    attention_head_dim: familyHeads(family, s.blockOutChannels),
    attention_type: 'default',
    block_out_channels: s.blockOutChannels,
    center_input_sample: false,
    class_embed_type: null,
    class_embeddings_concat: false,
    conv_in_kernel: 3,
    conv_out_kernel: 3,
    cross_attention_dim: s.crossAttentionDim,
    cross_attention_norm: null,
    down_block_types: s.downDepths.map((d) => (attention(d) ? 'CrossAttnDownBlock2D' : 'DownBlock2D')),
    downsample_padding: 1,
    dropout: 0.0,
    dual_cross_attention: false,
    encoder_hid_dim: null,
    encoder_hid_dim_type: null,
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: s.inChannels,
    layers_per_block: s.layersPerBlock,
    mid_block_only_cross_attention: null,
    mid_block_scale_factor: 1,
    mid_block_type: 'UNetMidBlock2DCrossAttn',
    norm_eps: 1e-5,
    norm_num_groups: 32,
    num_attention_heads: null,
    num_class_embeds: null,
    only_cross_attention: false,
    out_channels: s.outChannels,
    projection_class_embeddings_input_dim: s.addEmbeddingInputDim ?? null,
    resnet_out_scale_factor: 1.0,
    resnet_skip_time_act: false,
    resnet_time_scale_shift: 'default',
    reverse_transformer_layers_per_block: layers.reverse_transformer_layers_per_block,
    sample_size: sampleSize(family, prediction),
    time_cond_proj_dim: s.timeCondProjDim ?? null,
    time_embedding_act_fn: null,
    time_embedding_dim: s.timeEmbedDim === 4 * (s.blockOutChannels[0] ?? 0) ? null : s.timeEmbedDim,
    time_embedding_type: 'positional',
    timestep_post_act: null,
    transformer_layers_per_block: layers.transformer_layers_per_block,
    up_block_types: s.upDepths.map((d) => (attention(d) ? 'CrossAttnUpBlock2D' : 'UpBlock2D')),
    upcast_attention: family === 'sd2',
    use_linear_projection: s.linearProjection,
  };
}

/** The parts of the architecture the weights fix; a config file that disagrees is wrong for them. */
function structure(a: UnetArchitecture): Record<string, unknown> {
  return {
    in_channels: a.inChannels,
    out_channels: a.outChannels,
    block_out_channels: a.blockOutChannels,
    layers_per_block: a.layersPerBlock,
    'attention placement and transformer depths (down)': a.downDepths,
    'attention placement and transformer depths (up)': a.upDepths,
    'mid-block transformer depth': a.midDepth,
    cross_attention_dim: a.crossAttentionDim,
    use_linear_projection: a.linearProjection,
    time_embedding_dim: a.timeEmbedDim,
    time_cond_proj_dim: a.timeCondProjDim ?? null,
    projection_class_embeddings_input_dim: a.addition?.inputDim ?? null,
  };
}

function applyOverride(base: UNet2DConditionConfig, override: Partial<UNet2DConditionConfig>, where: string): UNet2DConditionConfig {
  const merged: UNet2DConditionConfig = { ...base, ...override };
  const want = structure(unetArchitecture(base));
  const got = structure(unetArchitecture(merged));
  for (const [field, value] of Object.entries(want)) {
    if (JSON.stringify(got[field]) !== JSON.stringify(value)) {
      throw new BridgeError('model_invalid', `${where} says ${field} is ${JSON.stringify(got[field])}, but the weights have ${JSON.stringify(value)}`, field);
    }
  }
  return merged;
}

/**
 * The UNet config for `weights`: shapes, then family defaults, then the .yaml, then config.json
 * (most specific last). Throws model_invalid when a config contradicts the weights, and
 * checkpoint_unsupported for UNet options the graph does not build.
 */
export function deriveUnetConfig(weights: WeightSet, o: UnetConfigOptions): UNet2DConditionConfig {
  let config = configFromShapes(unetShapes(weights), o.family, o.prediction);
  const yaml = o.original;
  if (yaml?.unet !== undefined) config = applyOverride(config, readLdmUnetConfig(yaml.unet, config.block_out_channels, yaml.file), yaml.file);
  if (o.configJson !== undefined) config = applyOverride(config, readDiffusersUnetConfig(o.configJson), 'unet/config.json');
  unetArchitecture(config);
  return config;
}
