/**
 * transformers CLIPTextConfig for an imported text encoder: the structure from the tensors'
 * shapes, the rest (activation, heads, token ids) from the original module family as the reference
 * repos' text_encoder/config.json carry it (stable-diffusion-v1-5, stable-diffusion-2-1,
 * stable-diffusion-xl-base-1.0: bos 0, eos 2, pad 1, layer_norm_eps 1e-5, head_dim 64), unless a
 * config.json says otherwise. Also: what an LDM/SGM .yaml says about its text encoders.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { WeightSet } from '../onnx/weight-set.js';
import type { ClipTextArchitecture } from '../graphs/clip-text.js';
import { agree, booleanAt, numberAt, stringAt } from './config-values.js';
import type { OriginalConfig } from './ldm-yaml.js';
import type { TextEncoderLayout } from './detect-checkpoint.js';
import { countIndices } from './layouts/mapping.js';

export interface ClipTextConfig extends ClipTextArchitecture {
  architectures: ['CLIPTextModel'] | ['CLIPTextModelWithProjection'];
  model_type: 'clip_text_model';
  attention_dropout: number;
  dropout: number;
  initializer_factor: number;
  initializer_range: number;
  bos_token_id: number;
  pad_token_id: number;
  torch_dtype: 'float32' | 'float16';
  transformers_version: string;
}

export interface ClipTextConfigOptions {
  /** OpenAI CLIP (quick_gelu) or OpenCLIP (gelu). */
  layout: TextEncoderLayout;
  /** CLIPTextModelWithProjection (SDXL's second encoder). */
  projection: boolean;
  torchDtype?: 'float32' | 'float16';
  /** A transformers config.json for this encoder (diffusers folder, --config): wins where shapes cannot tell. */
  configJson?: unknown;
  /** Names the encoder in messages. */
  component?: string;
}

/** The transformers version whose config format the written config.json follows. */
export const TRANSFORMERS_VERSION = '4.44.0';

const HEAD_DIM = 64;

function requiredShape(weights: WeightSet, name: string, rank: number): number[] {
  const shape = weights.shape(name);
  if (shape === undefined || shape.length !== rank) {
    throw new BridgeError('model_invalid', `${weights.component}: ${shape === undefined ? 'no weight' : `a [${shape.join(', ')}] weight`} for ${name}`, name);
  }
  return [...shape];
}

function activation(value: string | undefined, layout: TextEncoderLayout, where: string): ClipTextArchitecture['hidden_act'] {
  if (value === undefined) return layout === 'clip' ? 'quick_gelu' : 'gelu';
  if (value !== 'quick_gelu' && value !== 'gelu') throw new BridgeError('model_invalid', `${where}: hidden_act "${value}" is not quick_gelu or gelu`, 'hidden_act');
  return value;
}

export function deriveClipTextConfig(weights: WeightSet, o: ClipTextConfigOptions): ClipTextConfig {
  const json = o.configJson;
  const where = `${o.component ?? weights.component} config.json`;
  const [vocab = 0, hidden = 0] = requiredShape(weights, 'text_model.embeddings.token_embedding.weight', 2);
  const [positions = 0, positionWidth] = requiredShape(weights, 'text_model.embeddings.position_embedding.weight', 2);
  if (positionWidth !== hidden) {
    throw new BridgeError('model_invalid', `${weights.component}: position embeddings are ${positionWidth} wide, token embeddings ${hidden}`, 'text_model.embeddings.position_embedding.weight');
  }
  const layers = countIndices(weights.names(), /^text_model\.encoder\.layers\.(\d+)\./);
  if (layers === 0) throw new BridgeError('model_invalid', `${weights.component}: no encoder layers`, 'text_model.encoder.layers');
  const [intermediate = 0] = requiredShape(weights, 'text_model.encoder.layers.0.mlp.fc1.weight', 2);
  const projectionShape = weights.shape('text_projection.weight');
  const statedProjection = numberAt(json, 'projection_dim', where);
  let projectionDim: number;
  if (o.projection) {
    if (projectionShape === undefined) throw new BridgeError('model_invalid', `${weights.component}: no weight for text_projection.weight`, 'text_projection.weight');
    projectionDim = agree(statedProjection, projectionShape[0] ?? 0, 'projection_dim', where);
  } else {
    // Unused without a projection; the reference configs carry 768 (CLIP-L) and 512 (SD 2's OpenCLIP-H).
    projectionDim = statedProjection ?? (o.layout === 'clip' ? 768 : 512);
  }
  const heads = numberAt(json, 'num_attention_heads', where) ?? Math.max(1, Math.round(hidden / HEAD_DIM));
  if (hidden % heads !== 0) throw new BridgeError('model_invalid', `${where}: hidden_size ${hidden} does not split into ${heads} heads`, 'num_attention_heads');
  return {
    architectures: [o.projection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'],
    model_type: 'clip_text_model',
    attention_dropout: 0,
    dropout: 0,
    initializer_factor: 1,
    initializer_range: 0.02,
    vocab_size: agree(numberAt(json, 'vocab_size', where), vocab, 'vocab_size', where),
    hidden_size: agree(numberAt(json, 'hidden_size', where), hidden, 'hidden_size', where),
    intermediate_size: agree(numberAt(json, 'intermediate_size', where), intermediate, 'intermediate_size', where),
    num_hidden_layers: agree(numberAt(json, 'num_hidden_layers', where), layers, 'num_hidden_layers', where),
    max_position_embeddings: agree(numberAt(json, 'max_position_embeddings', where), positions, 'max_position_embeddings', where),
    num_attention_heads: heads,
    hidden_act: activation(stringAt(json, 'hidden_act', where), o.layout, where),
    layer_norm_eps: numberAt(json, 'layer_norm_eps', where) ?? 1e-5,
    projection_dim: projectionDim,
    bos_token_id: numberAt(json, 'bos_token_id', where) ?? 0,
    eos_token_id: numberAt(json, 'eos_token_id', where) ?? 2,
    pad_token_id: numberAt(json, 'pad_token_id', where) ?? 1,
    torch_dtype: o.torchDtype ?? 'float32',
    transformers_version: TRANSFORMERS_VERSION,
  };
}

/** One text encoder as an original LDM/SGM .yaml configures it. */
export interface OriginalTextEncoder {
  /** The embedder class path, e.g. "ldm.modules.encoders.modules.FrozenOpenCLIPEmbedder". */
  target: string;
  layout: TextEncoderLayout;
  /** The embedder's `layer`: last (default), penultimate, hidden (with layer_idx) or pooled. */
  layer: string;
  layerIdx: number | undefined;
  /** SGM FrozenOpenCLIPEmbedder2's `legacy` (default true): final LayerNorm on the chosen layer. */
  legacy: boolean;
  /**
   * The model's output is final_layer_norm(penultimate layer): import it with the last layer
   * dropped, as diffusers converts SD 2.x (LDM FrozenOpenCLIPEmbedder, or SGM's legacy embedder,
   * with layer "penultimate"). SGM's non-legacy embedder (SDXL) keeps every layer: the pipeline
   * takes hidden_states[-2] itself.
   */
  penultimate: boolean;
}

const TEXT_EMBEDDER = /(FrozenCLIPEmbedder|FrozenOpenCLIPEmbedder2?)$/;

function describeEmbedder(entry: { target: string; params: Readonly<Record<string, unknown>> }, where: string): OriginalTextEncoder | undefined {
  const kind = TEXT_EMBEDDER.exec(entry.target)?.[1];
  if (kind === undefined) return undefined;
  const layer = stringAt(entry.params, 'layer', where) ?? 'last';
  const openClip = kind !== 'FrozenCLIPEmbedder';
  // LDM's FrozenOpenCLIPEmbedder always applies ln_final to the chosen layer, like SGM's legacy mode.
  const legacy = kind === 'FrozenOpenCLIPEmbedder' ? true : (booleanAt(entry.params, 'legacy', where) ?? true);
  return {
    target: entry.target,
    layout: openClip ? 'open-clip' : 'clip',
    layer,
    layerIdx: numberAt(entry.params, 'layer_idx', where),
    legacy,
    penultimate: openClip && legacy && layer === 'penultimate',
  };
}

/**
 * The text encoders an original .yaml configures, in pipeline order (LDM's cond_stage_config, or the
 * text embedders among SGM's conditioner emb_models; the size embedders are skipped).
 */
export function originalTextEncoders(original: Pick<OriginalConfig, 'textEncoders' | 'file'>): OriginalTextEncoder[] {
  return original.textEncoders.map((e) => describeEmbedder(e, original.file)).filter((d): d is OriginalTextEncoder => d !== undefined);
}
