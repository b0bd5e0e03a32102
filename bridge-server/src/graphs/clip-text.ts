/**
 * transformers' CLIPTextModel / CLIPTextModelWithProjection as an ONNX graph, with the signature
 * Hugging Face optimum's diffusers export writes (optimum/exporters/onnx/model_configs.py,
 * `CLIPTextOnnxConfig` / `CLIPTextWithProjectionOnnxConfig`; exporters/utils.py
 * `_get_submodels_for_export_diffusion`):
 *
 * - input `input_ids`: int64 (optimum's default int_dtype), dims [batch_size, sequence_length].
 * - CLIPTextModel ("clip-text"): `last_hidden_state` [batch_size, sequence_length, hidden],
 *   `pooler_output` [batch_size, hidden].
 * - CLIPTextModelWithProjection ("clip-text-with-projection", SDXL's text_encoder_2):
 *   `text_embeds` [batch_size, projection_dim] then `last_hidden_state`. (optimum declares
 *   text_embeds' axis 1 "sequence_length" by a copy-paste slip; we keep the static width.)
 * - SDXL/SD3 exports set `output_hidden_states`, adding `hidden_states.0` (embeddings) …
 *   `hidden_states.{num_hidden_layers}` (last layer, before final_layer_norm), same dims as
 *   last_hidden_state. SD 1.x/2.x exports have none.
 * - float outputs in the export's float type (float16 for optimum's `--dtype fp16`).
 *
 * The model (modeling_clip.py): token + position embeddings; pre-LN encoder layers (self-attention
 * under a causal mask, then an MLP with quick_gelu for OpenAI CLIP or exact gelu for OpenCLIP);
 * final_layer_norm; pooled = last_hidden_state at the end-of-text token: configs with the legacy
 * eos_token_id 2 (every SD/SDXL reference config) take argmax(input_ids), where the EOS id 49407 is
 * the largest, so the first EOS; newer configs take the first position of eos_token_id.
 */
import type { FloatType } from '../onnx/graph-builder.js';
import type { OnnxDataType } from '../onnx/onnx-proto.js';
import { OpBuilder } from '../onnx/ops.js';
import type { WeightSet } from '../onnx/weight-set.js';
import { scaledDotProductAttention } from './attention.js';
import { linear } from './layers.js';
import { layerNorm, type GraphVariant } from './norms.js';
import { assertAllUsed, Params } from './params.js';

/** The CLIPTextConfig fields the graph depends on (config.json names). */
export interface ClipTextArchitecture {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  max_position_embeddings: number;
  hidden_act: 'quick_gelu' | 'gelu';
  layer_norm_eps: number;
  eos_token_id: number;
  /** Width of text_embeds (CLIPTextModelWithProjection only). */
  projection_dim: number;
}

export interface ClipTextBuildOptions {
  floatType: FloatType;
  /** Add hidden_states.0..N outputs (optimum does for SDXL's encoders). */
  hiddenStates: boolean;
  /** CLIPTextModelWithProjection: text_embeds (projected pooled output) instead of pooler_output. */
  projection: boolean;
  /** input_ids element type; optimum writes int64. */
  idsType?: 'int64' | 'int32';
  variant?: GraphVariant;
  /** Names the component in messages and the graph ("text_encoder_2"). */
  component?: string;
}

/** transformers' eos_token_id of configs written before transformers#24773 (pools at argmax(ids)). */
export const LEGACY_EOS_TOKEN_ID = 2;

const FLOAT32_MIN = -3.4028234663852886e38;

function activation(g: OpBuilder, x: string, act: ClipTextArchitecture['hidden_act']): string {
  return act === 'quick_gelu' ? g.quickGelu(x) : g.gelu(x);
}

/** CLIPAttention: q/k/v/out projections around scaled dot-product attention under the causal mask. */
function selfAttention(p: Params, x: string, c: ClipTextArchitecture, mask: string, variant: GraphVariant | undefined): string {
  const d = c.hidden_size;
  const q = p.module('q_proj', (m) => linear(m, x, d, d));
  const k = p.module('k_proj', (m) => linear(m, x, d, d));
  const v = p.module('v_proj', (m) => linear(m, x, d, d));
  const heads = c.num_attention_heads;
  const attended = scaledDotProductAttention(p.g, q, k, v, { heads, headDim: d / heads, mask, ...(variant === undefined ? {} : { variant }) });
  return p.module('out_proj', (m) => linear(m, attended, d, d));
}

/** CLIPEncoderLayer: x + attn(ln1(x)), then + fc2(act(fc1(ln2(x)))). */
function encoderLayer(p: Params, x: string, c: ClipTextArchitecture, mask: string, variant: GraphVariant | undefined): string {
  const g = p.g;
  const d = c.hidden_size;
  const normed = p.module('layer_norm1', (m) => layerNorm(m, x, d, c.layer_norm_eps));
  const h = g.add(x, p.module('self_attn', (m) => selfAttention(m, normed, c, mask, variant)));
  const normed2 = p.module('layer_norm2', (m) => layerNorm(m, h, d, c.layer_norm_eps));
  const mlp = p.module('mlp', (m) => {
    const inner = m.module('fc1', (fc) => linear(fc, normed2, d, c.intermediate_size));
    return m.module('fc2', (fc) => linear(fc, activation(g, inner, c.hidden_act), c.intermediate_size, d));
  });
  return g.add(h, mlp);
}

/** Additive [S, S] float32 mask: 0 on and below the diagonal, float32's lowest above (transformers' causal mask). */
function causalMask(g: OpBuilder, ids: string): string {
  return g.scope('causal_mask', () => {
    const steps = g.range(g.int64(0), g.dim(ids, 1), g.int64(1));
    const future = g.greater(g.unsqueeze(steps, [0]), g.unsqueeze(steps, [1]));
    return g.where(future, g.constant('float32', FLOAT32_MIN), g.constant('float32', 0));
  });
}

/** Each row's end-of-text position, as modeling_clip.py picks it for this config's eos_token_id. */
function eosPositions(g: OpBuilder, ids: string, eosTokenId: number): string {
  const ids32 = g.cast(ids, 'int32');
  if (eosTokenId === LEGACY_EOS_TOKEN_ID) return g.argMax(ids32, -1, false);
  return g.argMax(g.cast(g.op('Equal', [ids32, g.constant('int32', eosTokenId)]), 'int32'), -1, false);
}

export function buildClipText(config: ClipTextArchitecture, weights: WeightSet, o: ClipTextBuildOptions): OpBuilder {
  const c = config;
  const d = c.hidden_size;
  if (d % c.num_attention_heads !== 0) throw new RangeError(`hidden_size ${d} does not split into ${c.num_attention_heads} heads`);
  const component = o.component ?? (o.projection ? 'text_encoder_2' : 'text_encoder');
  const g = new OpBuilder(component, o.floatType);
  const root = new Params(g, weights);
  const model = root.at('text_model');
  const idsType: OnnxDataType = o.idsType ?? 'int64';
  const ids = g.input('input_ids', idsType, ['batch_size', 'sequence_length']);

  const embedded = model.module('embeddings', (p) => {
    const tokens = g.gather(p.tensor('token_embedding.weight', [c.vocab_size, d]), ids, 0);
    const length = g.slice(g.shape(ids), [1], [2], [0]);
    const positions = g.sliceTo(p.tensor('position_embedding.weight', [c.max_position_embeddings, d]), length, 0);
    return g.add(tokens, positions);
  });
  const mask = causalMask(g, ids);
  const hidden: string[] = [embedded];
  let h = embedded;
  for (let i = 0; i < c.num_hidden_layers; i++) {
    h = model.module(`encoder.layers.${i}`, (p) => encoderLayer(p, h, c, mask, o.variant));
    hidden.push(h);
  }
  const last = model.module('final_layer_norm', (p) => layerNorm(p, h, d, c.layer_norm_eps));
  const pooled = g.scope('pooler', () => {
    const rowStarts = g.mul(g.range(g.int64(0), g.dim(ids, 0), g.int64(1)), g.dim(ids, 1));
    const at = g.add(rowStarts, g.cast(eosPositions(g, ids, c.eos_token_id), 'int64'));
    return g.gather(g.reshape(last, [-1, d]), at, 0);
  });

  const sequenceDims = ['batch_size', 'sequence_length', d] as const;
  if (o.projection) {
    const embeds = root.module('text_projection', (p) => linear(p, pooled, d, c.projection_dim, false));
    g.output(embeds, 'text_embeds', o.floatType, ['batch_size', c.projection_dim]);
    g.output(last, 'last_hidden_state', o.floatType, sequenceDims);
  } else {
    g.output(last, 'last_hidden_state', o.floatType, sequenceDims);
    g.output(pooled, 'pooler_output', o.floatType, ['batch_size', d]);
  }
  if (o.hiddenStates) hidden.forEach((value, i) => g.output(value, `hidden_states.${i}`, o.floatType, sequenceDims));
  assertAllUsed(weights.unused(), component);
  return g;
}
