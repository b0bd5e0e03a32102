/**
 * The diffusers UNet2DConditionModel config (the keys diffusers writes to unet/config.json) and
 * its reading as UNet2DConditionModel.__init__ reads it: `num_attention_heads` defaults to
 * `attention_head_dim` (diffusers' naming quirk: SD configs' "attention_head_dim" is a head
 * count), scalars expand to one value per level, up blocks take the per-level lists reversed, the
 * mid block the last entry. The graph is built from the normalized UnetArchitecture.
 */
import { BridgeError } from '@latent-bridge/shared';

export type DownBlockType = 'CrossAttnDownBlock2D' | 'DownBlock2D';
export type UpBlockType = 'CrossAttnUpBlock2D' | 'UpBlock2D';

/** Every key diffusers' UNet2DConditionModel registers, as config.json holds them. */
export interface UNet2DConditionConfig {
  _class_name: 'UNet2DConditionModel';
  _diffusers_version: string;
  act_fn: 'silu';
  addition_embed_type: 'text_time' | null;
  addition_embed_type_num_heads: number;
  addition_time_embed_dim: number | null;
  attention_head_dim: number | number[];
  attention_type: 'default';
  block_out_channels: number[];
  center_input_sample: boolean;
  class_embed_type: null;
  class_embeddings_concat: boolean;
  conv_in_kernel: number;
  conv_out_kernel: number;
  cross_attention_dim: number;
  cross_attention_norm: null;
  down_block_types: DownBlockType[];
  downsample_padding: number;
  dropout: number;
  dual_cross_attention: boolean;
  encoder_hid_dim: null;
  encoder_hid_dim_type: null;
  flip_sin_to_cos: boolean;
  freq_shift: number;
  in_channels: number;
  layers_per_block: number | number[];
  mid_block_only_cross_attention: boolean | null;
  mid_block_scale_factor: number;
  mid_block_type: 'UNetMidBlock2DCrossAttn';
  norm_eps: number;
  norm_num_groups: number;
  num_attention_heads: number | number[] | null;
  num_class_embeds: null;
  only_cross_attention: boolean;
  out_channels: number;
  projection_class_embeddings_input_dim: number | null;
  resnet_out_scale_factor: number;
  resnet_skip_time_act: boolean;
  resnet_time_scale_shift: 'default';
  reverse_transformer_layers_per_block: number[][] | null;
  sample_size: number;
  time_cond_proj_dim: number | null;
  time_embedding_act_fn: null;
  time_embedding_dim: number | null;
  time_embedding_type: 'positional';
  timestep_post_act: null;
  transformer_layers_per_block: number | (number | number[])[];
  up_block_types: UpBlockType[];
  upcast_attention: boolean;
  use_linear_projection: boolean;
}

/** The structure the graph builder walks; levels in down order unless named `up…`. */
export interface UnetArchitecture {
  inChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  /** Resnets per down block (up blocks have one more). */
  layersPerBlock: number[];
  /** Transformer depth of each attention, per down block and layer (empty for DownBlock2D). */
  downDepths: number[][];
  /** The same for each up block, in up order. */
  upDepths: number[][];
  midDepth: number;
  /** Attention heads per down level (head width = channels / heads). */
  heads: number[];
  crossAttentionDim: number;
  linearProjection: boolean;
  upcastAttention: boolean;
  groups: number;
  normEps: number;
  flipSinToCos: boolean;
  freqShift: number;
  timeEmbedDim: number;
  /** LCM-distilled UNets: width of the guidance embedding added before linear_1. */
  timeCondProjDim: number | undefined;
  /** SDXL's text_time embedding: pooled text width, number of time ids and their sinusoid width. */
  addition: { textEmbedsDim: number; timeIds: number; timeEmbedDim: number; inputDim: number } | undefined;
}

function invalid(field: string, why: string): BridgeError {
  return new BridgeError('model_invalid', `unet config: ${field} ${why}`, field);
}

function perLevel(value: number | readonly number[], levels: number, field: string): number[] {
  if (typeof value === 'number') return Array.from({ length: levels }, () => value);
  if (value.length !== levels) throw invalid(field, `has ${value.length} entries for ${levels} levels`);
  return [...value];
}

function depthsOf(value: number | readonly (number | readonly number[])[], levels: number, layers: readonly number[], field: string): number[][] {
  const levelValues: (number | readonly number[])[] = typeof value === 'number' ? Array.from({ length: levels }, () => value) : [...value];
  if (levelValues.length !== levels) throw invalid(field, `has ${levelValues.length} entries for ${levels} levels`);
  return levelValues.map((v, i) => {
    const n = layers[i] ?? 0;
    if (typeof v === 'number') return Array.from({ length: n }, () => v);
    if (v.length !== n) throw invalid(field, `entry ${i} has ${v.length} depths for ${n} layers`);
    return [...v];
  });
}

/** Refuses the UNet2DConditionModel options no SD 1.x/2.x/XL model uses and the graph does not build. */
function checkSupported(c: UNet2DConditionConfig): void {
  const unsupported: [boolean, string][] = [
    [c.center_input_sample, 'center_input_sample'],
    [c.dual_cross_attention, 'dual_cross_attention'],
    [c.only_cross_attention, 'only_cross_attention'],
    [c.class_embed_type !== null, 'class_embed_type'],
    [c.num_class_embeds !== null, 'num_class_embeds'],
    [c.class_embeddings_concat, 'class_embeddings_concat'],
    [c.encoder_hid_dim !== null || c.encoder_hid_dim_type !== null, 'encoder_hid_dim'],
    [c.time_embedding_type !== 'positional', 'time_embedding_type'],
    [c.time_embedding_act_fn !== null, 'time_embedding_act_fn'],
    [c.timestep_post_act !== null, 'timestep_post_act'],
    [c.resnet_time_scale_shift !== 'default', 'resnet_time_scale_shift'],
    [c.resnet_skip_time_act, 'resnet_skip_time_act'],
    [c.resnet_out_scale_factor !== 1, 'resnet_out_scale_factor'],
    [c.mid_block_scale_factor !== 1, 'mid_block_scale_factor'],
    [c.attention_type !== 'default', 'attention_type'],
    [c.cross_attention_norm !== null, 'cross_attention_norm'],
    [c.act_fn !== 'silu', 'act_fn'],
    [c.conv_in_kernel !== 3 || c.conv_out_kernel !== 3, 'conv_in_kernel/conv_out_kernel'],
    [c.downsample_padding !== 1, 'downsample_padding'],
    [c.mid_block_type !== 'UNetMidBlock2DCrossAttn', 'mid_block_type'],
  ];
  const found = unsupported.filter(([bad]) => bad).map(([, name]) => name);
  if (found.length > 0) {
    throw new BridgeError('checkpoint_unsupported', `unet config: ${found.join(', ')} set to a value SD 1.x/2.x/XL UNets do not use; this UNet cannot be imported`, found[0]);
  }
}

export function unetArchitecture(c: UNet2DConditionConfig): UnetArchitecture {
  checkSupported(c);
  const levels = c.block_out_channels.length;
  if (levels === 0) throw invalid('block_out_channels', 'is empty');
  if (c.down_block_types.length !== levels || c.up_block_types.length !== levels) {
    throw invalid('down_block_types', `and up_block_types need ${levels} entries (one per block_out_channels)`);
  }
  const layersPerBlock = perLevel(c.layers_per_block, levels, 'layers_per_block');
  const heads = perLevel(c.num_attention_heads ?? c.attention_head_dim, levels, 'attention_head_dim');
  const depthsPerLevel = depthsOf(c.transformer_layers_per_block, levels, layersPerBlock, 'transformer_layers_per_block');
  const downDepths = depthsPerLevel.map((d, i) => (c.down_block_types[i] === 'CrossAttnDownBlock2D' ? d : []));
  const upLayers = [...layersPerBlock].reverse().map((n) => n + 1);
  const reversed =
    c.reverse_transformer_layers_per_block ??
    [...(typeof c.transformer_layers_per_block === 'number' ? perLevel(c.transformer_layers_per_block, levels, 'transformer_layers_per_block') : c.transformer_layers_per_block)].reverse();
  const upDepthsAll = depthsOf(reversed, levels, upLayers, 'reverse_transformer_layers_per_block');
  const upDepths = upDepthsAll.map((d, i) => (c.up_block_types[i] === 'CrossAttnUpBlock2D' ? d : []));
  const last = depthsPerLevel[levels - 1]?.[0] ?? 1;
  c.block_out_channels.forEach((ch, i) => {
    if (ch % c.norm_num_groups !== 0) throw invalid('block_out_channels', `${ch} is not a multiple of norm_num_groups ${c.norm_num_groups}`);
    const h = heads[i] ?? 0;
    if (h <= 0 || ch % h !== 0) throw invalid('attention_head_dim', `${h} heads do not split ${ch} channels (level ${i})`);
  });
  let addition: UnetArchitecture['addition'];
  if (c.addition_embed_type === 'text_time') {
    const timeEmbedDim = c.addition_time_embed_dim ?? 256;
    const inputDim = c.projection_class_embeddings_input_dim;
    if (inputDim === null) throw invalid('projection_class_embeddings_input_dim', 'is needed with addition_embed_type text_time');
    // SDXL base: 6 time ids (original size, crop, target size); the refiner's aesthetic score makes 5.
    const timeIds = 6;
    const textEmbedsDim = inputDim - timeIds * timeEmbedDim;
    if (textEmbedsDim <= 0) throw invalid('projection_class_embeddings_input_dim', `${inputDim} leaves no room for text_embeds beside ${timeIds}×${timeEmbedDim} time embeddings`);
    addition = { textEmbedsDim, timeIds, timeEmbedDim, inputDim };
  }
  const c0 = c.block_out_channels[0] ?? 0;
  return {
    inChannels: c.in_channels,
    outChannels: c.out_channels,
    blockOutChannels: [...c.block_out_channels],
    layersPerBlock,
    downDepths,
    upDepths,
    midDepth: last,
    heads,
    crossAttentionDim: c.cross_attention_dim,
    linearProjection: c.use_linear_projection,
    upcastAttention: c.upcast_attention,
    groups: c.norm_num_groups,
    normEps: c.norm_eps,
    flipSinToCos: c.flip_sin_to_cos,
    freqShift: c.freq_shift,
    timeEmbedDim: c.time_embedding_dim ?? 4 * c0,
    timeCondProjDim: c.time_cond_proj_dim ?? undefined,
    addition,
  };
}
