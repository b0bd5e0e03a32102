/**
 * A diffusers `unet/diffusion_pytorch_model(.fp16).safetensors` already holds UNet2DConditionModel
 * names: the table is the identity, but a strict one, so a file of another architecture (a
 * ControlNet, an SD3 transformer, a UNet with IP-Adapter or LoRA tensors baked in under their own
 * names) is named in a typed error instead of being half-imported.
 */
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { WeightSet } from '../../onnx/weight-set.js';
import { TRANSFORMER_PART } from './ldm-unet.js';
import { mapComponent, type ComponentWeights, type Layout } from './mapping.js';

const RESNET = String.raw`resnets\.\d+\.(?:norm1|conv1|time_emb_proj|norm2|conv2|conv_shortcut)\.(?:weight|bias)`;
const ATTENTION = String.raw`attentions\.\d+\.${TRANSFORMER_PART}`;

export const DIFFUSERS_UNET_LAYOUT: Layout = {
  name: 'diffusers UNet2DConditionModel',
  rules: [
    {
      from: new RegExp(
        String.raw`^((?:conv_in|conv_out|conv_norm_out)\.(?:weight|bias)` +
          String.raw`|(?:time_embedding|add_embedding)\.linear_[12]\.(?:weight|bias)` +
          // LCM-distilled UNets (time_cond_proj_dim): the guidance embedding's projection.
          String.raw`|time_embedding\.cond_proj\.weight` +
          String.raw`|down_blocks\.\d+\.(?:${RESNET}|${ATTENTION}|downsamplers\.0\.conv\.(?:weight|bias))` +
          String.raw`|up_blocks\.\d+\.(?:${RESNET}|${ATTENTION}|upsamplers\.0\.conv\.(?:weight|bias))` +
          String.raw`|mid_block\.(?:${RESNET}|${ATTENTION}))$`,
      ),
      to: '$1',
    },
  ],
  ignore: [],
};

/** The weights of a diffusers `unet/` folder's weight file. */
export function diffusersUnetWeights(source: TensorSource): ComponentWeights {
  const mapped = mapComponent(source, '', DIFFUSERS_UNET_LAYOUT, 'unet');
  return { weights: new WeightSet(mapped.tensors, 'unet'), ignored: mapped.ignored, warnings: [] };
}
