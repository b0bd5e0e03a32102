/**
 * UNet settings read from config files, as partial diffusers configs: a diffusers unet/config.json
 * (every key type-checked; values the graph cannot build are refused by name) and the UNet part of
 * an original LDM/SGM .yaml, translated as diffusers' `create_unet_diffusers_config_from_ldm`
 * translates it (num_heads → a head count, num_head_channels → C/width per level,
 * transformer_depth, context_dim, use_linear_in_transformer, adm_in_channels with
 * `num_classes: sequential`, attention_resolutions → block types).
 */
import { BridgeError } from '@latent-bridge/shared';
import type { DownBlockType, UNet2DConditionConfig, UpBlockType } from '../graphs/unet-architecture.js';
import { asObject, booleanAt, numberAt, numberListAt, stringAt, type JsonObject } from './config-values.js';

type Partial2D = Partial<UNet2DConditionConfig>;
const JSON_FILE = 'unet/config.json';

function unsupported(where: string, field: string, value: unknown): BridgeError {
  return new BridgeError('checkpoint_unsupported', `${where}: ${field} = ${JSON.stringify(value)} is not a UNet setting SD 1.x/2.x/XL use; this UNet cannot be imported`, field);
}

function bad(where: string, field: string, what: string, value: unknown): BridgeError {
  return new BridgeError('model_invalid', `${where}: ${field} should be ${what}, is ${JSON.stringify(value)}`, field);
}

/** A value that must be one of `allowed` (null included when listed). */
function literal<T extends string | number | boolean | null>(json: JsonObject, key: string, allowed: readonly T[]): T | undefined {
  if (!(key in json)) return undefined;
  const v = json[key];
  const hit = allowed.find((a) => a === v);
  if (hit === undefined && !(v === null && allowed.includes(null as T))) throw unsupported(JSON_FILE, key, v);
  return (hit ?? null) as T;
}

function nullableNumber(json: JsonObject, key: string): number | null | undefined {
  if (!(key in json)) return undefined;
  return json[key] === null ? null : numberAt(json, key, JSON_FILE);
}

function numberOrList(json: JsonObject, key: string): number | number[] | undefined {
  const v = json[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' ? numberAt(json, key, JSON_FILE) : numberListAt(json, key, JSON_FILE);
}

function depthList(value: unknown, where: string, field: string): number | (number | number[])[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  const ok = Array.isArray(value) && value.every((e) => typeof e === 'number' || (Array.isArray(e) && e.every((x) => typeof x === 'number')));
  if (!ok) throw bad(where, field, 'a number or a list of numbers (or of lists)', value);
  return value as (number | number[])[];
}

function blockTypes<T extends string>(json: JsonObject, key: string, allowed: readonly T[]): T[] | undefined {
  const v = json[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw bad(JSON_FILE, key, 'a list of block type names', v);
  return v.map((t) => {
    const hit = allowed.find((a) => a === t);
    if (hit === undefined) throw unsupported(JSON_FILE, key, t);
    return hit;
  });
}

function set<K extends keyof UNet2DConditionConfig>(out: Partial2D, key: K, value: UNet2DConditionConfig[K] | undefined): void {
  if (value !== undefined) out[key] = value;
}

/** A diffusers unet/config.json; keys it lacks stay as derived. */
export function readDiffusersUnetConfig(raw: unknown): Partial2D {
  const json = asObject(raw);
  if (json === undefined) throw bad(JSON_FILE, 'config', 'a JSON object', raw);
  const className = stringAt(json, '_class_name', JSON_FILE);
  if (className !== undefined && className !== 'UNet2DConditionModel') throw unsupported(JSON_FILE, '_class_name', className);
  const out: Partial2D = {};
  for (const key of ['in_channels', 'out_channels', 'norm_eps', 'norm_num_groups', 'freq_shift', 'addition_embed_type_num_heads'] as const) {
    set(out, key, numberAt(json, key, JSON_FILE));
  }
  for (const key of ['flip_sin_to_cos', 'use_linear_projection', 'upcast_attention'] as const) set(out, key, booleanAt(json, key, JSON_FILE));
  for (const key of ['addition_time_embed_dim', 'projection_class_embeddings_input_dim', 'time_cond_proj_dim', 'time_embedding_dim'] as const) {
    set(out, key, nullableNumber(json, key));
  }
  const sample = json['sample_size'];
  set(out, 'sample_size', Array.isArray(sample) && typeof sample[0] === 'number' ? sample[0] : numberAt(json, 'sample_size', JSON_FILE));
  const cross = json['cross_attention_dim'];
  if (Array.isArray(cross)) {
    if (!cross.every((c) => c === cross[0])) throw unsupported(JSON_FILE, 'cross_attention_dim', cross);
    set(out, 'cross_attention_dim', typeof cross[0] === 'number' ? cross[0] : undefined);
  } else set(out, 'cross_attention_dim', numberAt(json, 'cross_attention_dim', JSON_FILE));
  set(out, 'block_out_channels', numberListAt(json, 'block_out_channels', JSON_FILE));
  set(out, 'layers_per_block', numberOrList(json, 'layers_per_block'));
  set(out, 'attention_head_dim', numberOrList(json, 'attention_head_dim'));
  if ('num_attention_heads' in json) set(out, 'num_attention_heads', numberOrList(json, 'num_attention_heads') ?? null);
  set(out, 'transformer_layers_per_block', depthList(json['transformer_layers_per_block'], JSON_FILE, 'transformer_layers_per_block'));
  const reverse = depthList(json['reverse_transformer_layers_per_block'], JSON_FILE, 'reverse_transformer_layers_per_block');
  if (reverse !== undefined && (typeof reverse === 'number' || reverse.some((r) => !Array.isArray(r)))) {
    throw bad(JSON_FILE, 'reverse_transformer_layers_per_block', 'a list of lists', reverse);
  }
  if ('reverse_transformer_layers_per_block' in json) set(out, 'reverse_transformer_layers_per_block', (reverse as number[][] | undefined) ?? null);
  set(out, 'down_block_types', blockTypes<DownBlockType>(json, 'down_block_types', ['CrossAttnDownBlock2D', 'DownBlock2D']));
  set(out, 'up_block_types', blockTypes<UpBlockType>(json, 'up_block_types', ['CrossAttnUpBlock2D', 'UpBlock2D']));
  set(out, 'addition_embed_type', literal(json, 'addition_embed_type', ['text_time', null] as const));
  set(out, 'mid_block_type', literal(json, 'mid_block_type', ['UNetMidBlock2DCrossAttn'] as const));
  set(out, 'act_fn', literal(json, 'act_fn', ['silu'] as const));
  set(out, 'attention_type', literal(json, 'attention_type', ['default'] as const));
  set(out, 'resnet_time_scale_shift', literal(json, 'resnet_time_scale_shift', ['default'] as const));
  set(out, 'time_embedding_type', literal(json, 'time_embedding_type', ['positional'] as const));
  // Settings whose only supported value is their default: anything else is refused by name.
  for (const key of ['class_embed_type', 'encoder_hid_dim_type', 'time_embedding_act_fn', 'timestep_post_act', 'cross_attention_norm', 'num_class_embeds', 'encoder_hid_dim'] as const) {
    literal(json, key, [null] as const);
  }
  for (const key of ['center_input_sample', 'dual_cross_attention', 'resnet_skip_time_act', 'class_embeddings_concat'] as const) literal(json, key, [false] as const);
  for (const key of ['mid_block_scale_factor', 'resnet_out_scale_factor'] as const) literal(json, key, [1] as const);
  for (const key of ['conv_in_kernel', 'conv_out_kernel'] as const) literal(json, key, [3] as const);
  literal(json, 'downsample_padding', [1] as const);
  const only = json['only_cross_attention'];
  if (only !== undefined && only !== false && !(Array.isArray(only) && only.every((x) => x === false))) throw unsupported(JSON_FILE, 'only_cross_attention', only);
  return out;
}

/**
 * The UNet section of an LDM/SGM .yaml (`unet_config.params` / `network_config.params`, as
 * ldm-yaml.ts's OriginalConfig.unet holds it); `channels` are the level widths (for
 * num_head_channels). Unset entries (-1, absent) stay as derived.
 */
export function readLdmUnetConfig(params: unknown, channels: readonly number[], file = 'the .yaml'): Partial2D {
  const u = asObject(params);
  if (u === undefined) throw bad(file, 'unet_config.params', 'a mapping', params);
  const where = `${file} (unet params)`;
  const out: Partial2D = {};
  set(out, 'in_channels', numberAt(u, 'in_channels', where));
  set(out, 'out_channels', numberAt(u, 'out_channels', where));
  const model = numberAt(u, 'model_channels', where);
  const mult = numberListAt(u, 'channel_mult', where);
  if (model !== undefined && mult !== undefined) out.block_out_channels = mult.map((m) => m * model);
  const resBlocks = u['num_res_blocks'];
  if (typeof resBlocks === 'number' || Array.isArray(resBlocks)) set(out, 'layers_per_block', typeof resBlocks === 'number' ? resBlocks : numberListAt(u, 'num_res_blocks', where));
  const resolutions = numberListAt(u, 'attention_resolutions', where);
  const levels = (out.block_out_channels ?? channels).length;
  if (resolutions !== undefined) {
    out.down_block_types = Array.from({ length: levels }, (_, i) => (resolutions.includes(2 ** i) ? 'CrossAttnDownBlock2D' : 'DownBlock2D'));
    out.up_block_types = out.down_block_types.map((t): UpBlockType => (t === 'CrossAttnDownBlock2D' ? 'CrossAttnUpBlock2D' : 'UpBlock2D')).reverse();
  }
  set(out, 'transformer_layers_per_block', depthList(u['transformer_depth'], where, 'transformer_depth'));
  const context = u['context_dim'];
  set(out, 'cross_attention_dim', Array.isArray(context) ? (numberListAt(u, 'context_dim', where)?.[0] ?? undefined) : numberAt(u, 'context_dim', where));
  set(out, 'use_linear_projection', booleanAt(u, 'use_linear_in_transformer', where));
  const heads = numberAt(u, 'num_heads', where) ?? -1;
  const headChannels = numberAt(u, 'num_head_channels', where) ?? -1;
  if (headChannels > 0) {
    out.attention_head_dim = (out.block_out_channels ?? channels).map((c) => {
      if (c % headChannels !== 0) throw bad(where, 'num_head_channels', `a divisor of every level width (${c})`, headChannels);
      return c / headChannels;
    });
  } else if (heads > 0) out.attention_head_dim = heads;
  if (u['num_classes'] === 'sequential') set(out, 'projection_class_embeddings_input_dim', numberAt(u, 'adm_in_channels', where));
  else if (u['num_classes'] !== undefined && u['num_classes'] !== null) throw unsupported(where, 'num_classes', u['num_classes']);
  for (const key of ['use_scale_shift_norm', 'resblock_updown'] as const) {
    if (booleanAt(u, key, where) === true) throw unsupported(where, key, true);
  }
  for (const key of ['disable_self_attentions', 'num_attention_blocks'] as const) {
    if (u[key] !== undefined && u[key] !== null) throw unsupported(where, key, u[key]);
  }
  return out;
}
