/**
 * OpenAI CLIP text encoders stored with transformers' names (SD 1.x
 * `cond_stage_model.transformer.`, SDXL's first encoder `conditioner.embedders.0.transformer.`,
 * diffusers `text_encoder/` folders): the names are already diffusers', below `text_model.`, as
 * diffusers' `convert_ldm_clip_checkpoint` takes them. Also read: files written before
 * transformers wrapped CLIPTextModel in `text_model` (A1111 renames those the same way) and
 * folders saved by transformers ≥ 5.6, which dropped the wrapper again.
 */
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { WeightSet } from '../../onnx/weight-set.js';
import { mapComponent, type ComponentWeights, type Layout } from './mapping.js';

const BODY = String.raw`(embeddings\.(?:token|position)_embedding\.weight|encoder\.layers\.\d+\.(?:self_attn\.(?:q|k|v|out)_proj|layer_norm[12]|mlp\.fc[12])\.(?:weight|bias)|final_layer_norm\.(?:weight|bias))`;

export const CLIP_TEXT_LAYOUT: Layout = {
  name: 'CLIP text encoder',
  rules: [
    { from: new RegExp(String.raw`^(?:text_model\.)?${BODY}$`), to: 'text_model.$1' },
    // CLIPTextModelWithProjection (SD3's CLIP-L, diffusers text_encoder_2 folders).
    { from: /^text_projection\.weight$/, to: 'text_projection.weight' },
  ],
  ignore: [/^(?:text_model\.)?embeddings\.position_ids$/],
};

export interface TextWeightOptions {
  /** Names the component in messages: "text_encoder" (default) or "text_encoder_2". */
  component?: string;
}

/**
 * The CLIP text encoder under `prefix` ("cond_stage_model.transformer." or with "text_model."
 * appended; "conditioner.embedders.0.transformer."; "" for a diffusers text_encoder file).
 */
export function clipTextWeights(source: TensorSource, prefix: string, o: TextWeightOptions = {}): ComponentWeights {
  const base = prefix.endsWith('text_model.') ? prefix.slice(0, -'text_model.'.length) : prefix;
  const component = o.component ?? 'text_encoder';
  const mapped = mapComponent(source, base, CLIP_TEXT_LAYOUT, component);
  return { weights: new WeightSet(mapped.tensors, component), ignored: mapped.ignored, warnings: [] };
}
