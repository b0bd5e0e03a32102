/**
 * OpenCLIP text transformers (SD 2.x `cond_stage_model.model.`, SDXL's second encoder
 * `conditioner.embedders.1.model.`) as transformers' CLIPTextModel(WithProjection), following
 * diffusers' `convert_open_clip_checkpoint`: nn.MultiheadAttention's packed in_proj is q, k, v by
 * rows; c_fc/c_proj are fc1/fc2; `positional_embedding` is a bare parameter; `text_projection` is
 * applied as `x @ text_projection`, so it is stored [width, projection], the transpose of the
 * Linear weight transformers keeps. Some converted files carry it as `text_projection.weight`
 * already in Linear order.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { fromValues } from '../../onnx/lazy-tensor.js';
import { WeightSet } from '../../onnx/weight-set.js';
import { countIndices, mapComponent, type ComponentWeights, type Layout } from './mapping.js';

const LAYER = String.raw`^transformer\.resblocks\.(\d+)\.`;
const TO_LAYER = 'text_model.encoder.layers.$1.';

export const OPEN_CLIP_LAYOUT: Layout = {
  name: 'OpenCLIP text encoder',
  rules: [
    { from: /^token_embedding\.weight$/, to: 'text_model.embeddings.token_embedding.weight' },
    { from: /^positional_embedding$/, to: 'text_model.embeddings.position_embedding.weight' },
    { from: new RegExp(`${LAYER}ln_1\\.(weight|bias)$`), to: `${TO_LAYER}layer_norm1.$2` },
    { from: new RegExp(`${LAYER}ln_2\\.(weight|bias)$`), to: `${TO_LAYER}layer_norm2.$2` },
    {
      from: new RegExp(`${LAYER}attn\\.in_proj_(weight|bias)$`),
      to: [`${TO_LAYER}self_attn.q_proj.$2`, `${TO_LAYER}self_attn.k_proj.$2`, `${TO_LAYER}self_attn.v_proj.$2`],
      transform: 'split-rows',
    },
    { from: new RegExp(`${LAYER}attn\\.out_proj\\.(weight|bias)$`), to: `${TO_LAYER}self_attn.out_proj.$2` },
    { from: new RegExp(`${LAYER}mlp\\.c_fc\\.(weight|bias)$`), to: `${TO_LAYER}mlp.fc1.$2` },
    { from: new RegExp(`${LAYER}mlp\\.c_proj\\.(weight|bias)$`), to: `${TO_LAYER}mlp.fc2.$2` },
    { from: /^ln_final\.(weight|bias)$/, to: 'text_model.final_layer_norm.$1' },
    { from: /^text_projection$/, to: 'text_projection.weight', transform: 'transpose' },
    { from: /^text_projection\.weight$/, to: 'text_projection.weight' },
  ],
  // The contrastive temperature and the (normally non-persistent) causal mask buffer.
  ignore: [/^logit_scale$/, /^attn_mask$/],
};

export interface OpenClipWeightOptions {
  /**
   * Drop the last transformer layer, as diffusers converts SD 2.x's penultimate-layer encoder
   * (`convert_open_clip_checkpoint` skips resblocks.23; stable-diffusion-2's text_encoder config
   * has num_hidden_layers 23): the model's last_hidden_state is then final_layer_norm(penultimate).
   */
  penultimate: boolean;
  /** Keep text_projection (CLIPTextModelWithProjection, SDXL); default: !penultimate. */
  projection?: boolean;
  /** Names the component in messages: "text_encoder" (default) or "text_encoder_2". */
  component?: string;
}

const LAYER_INDEX = /^text_model\.encoder\.layers\.(\d+)\./;

/** An OpenCLIP text tower under `prefix` ("cond_stage_model.model.", "conditioner.embedders.1.model."). */
export function openClipTextWeights(source: TensorSource, prefix: string, o: OpenClipWeightOptions): ComponentWeights {
  const component = o.component ?? 'text_encoder';
  const mapped = mapComponent(source, prefix, OPEN_CLIP_LAYOUT, component);
  const tensors = new Map(mapped.tensors);
  const ignored = [...mapped.ignored];
  const warnings: string[] = [];
  const drop = (name: string) => {
    tensors.delete(name);
    const key = mapped.sources.get(name);
    if (key !== undefined && !ignored.includes(key)) ignored.push(key);
  };
  if (o.penultimate) {
    const last = countIndices([...tensors.keys()], LAYER_INDEX) - 1;
    if (last < 1) throw new BridgeError('model_invalid', `${source.file}: ${component} has too few layers to use the penultimate one`, prefix);
    for (const name of [...tensors.keys()]) if (name.startsWith(`text_model.encoder.layers.${last}.`)) drop(name);
  }
  const projection = o.projection ?? !o.penultimate;
  if (!projection) {
    drop('text_projection.weight');
  } else if (!tensors.has('text_projection.weight')) {
    // Pruned SDXL files sometimes lack it; ComfyUI then projects with the identity, as we do.
    const width = tensors.get('text_model.embeddings.token_embedding.weight')?.shape[1];
    if (width !== undefined) {
      const eye = new Float32Array(width * width);
      for (let i = 0; i < width; i++) eye[i * width + i] = 1;
      tensors.set('text_projection.weight', fromValues([width, width], eye, `identity (${prefix}text_projection is missing)`));
      warnings.push(`${source.file} has no ${prefix}text_projection; ${component}'s text_embeds use the identity projection instead`);
    }
  }
  return { weights: new WeightSet(tensors, component), ignored, warnings };
}
