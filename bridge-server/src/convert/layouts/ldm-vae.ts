/**
 * CompVis/LDM AutoencoderKL (`first_stage_model.` in SD 1.x/2.x/SDXL single files, no prefix in
 * standalone VAE files) to diffusers AutoencoderKL names, as diffusers' `convert_ldm_vae_checkpoint`
 * maps them: `down.{i}.block.{j}` → `down_blocks.{i}.resnets.{j}`, `nin_shortcut` → `conv_shortcut`,
 * `mid.block_{1,2}` → `mid_block.resnets.{0,1}`, `mid.attn_1.{norm,q,k,v,proj_out}` →
 * `mid_block.attentions.0.{group_norm,to_q,to_k,to_v,to_out.0}` with the 1×1 conv weights as
 * Linear weights, `norm_out` → `conv_norm_out`, and the decoder's `up.{k}` in reverse order
 * (`up_blocks.{n-1-k}`: LDM counts up levels from the full-resolution end).
 */
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { WeightSet } from '../../onnx/weight-set.js';
import { countIndices, mapComponent, type ComponentWeights, type Layout, type LayoutVariables } from './mapping.js';

const RESNET_PART = String.raw`(norm1|conv1|norm2|conv2|nin_shortcut)\.(weight|bias)`;
const resnetPart = (name: string | undefined) => (name === 'nin_shortcut' ? 'conv_shortcut' : (name ?? ''));

const ATTN_NAMES: Readonly<Record<string, string>> = { norm: 'group_norm', q: 'to_q', k: 'to_k', v: 'to_v', proj_out: 'to_out.0' };
const attnPart = (name: string | undefined) => ATTN_NAMES[name ?? ''] ?? '';

function upLevel(k: string | undefined, vars: LayoutVariables): number {
  return (vars['upLevels'] ?? 0) - 1 - Number(k);
}

export const LDM_VAE_LAYOUT: Layout = {
  name: 'LDM AutoencoderKL',
  variables: { upLevels: (keys) => countIndices(keys, /^decoder\.up\.(\d+)\./) },
  rules: [
    { from: /^(encoder|decoder)\.(conv_in|conv_out)\.(weight|bias)$/, to: '$1.$2.$3' },
    { from: /^(encoder|decoder)\.norm_out\.(weight|bias)$/, to: '$1.conv_norm_out.$2' },
    { from: /^(quant_conv|post_quant_conv)\.(weight|bias)$/, to: '$1.$2' },
    {
      from: new RegExp(String.raw`^encoder\.down\.(\d+)\.block\.(\d+)\.${RESNET_PART}$`),
      to: (m) => `encoder.down_blocks.${m[1]}.resnets.${m[2]}.${resnetPart(m[3])}.${m[4]}`,
    },
    { from: /^encoder\.down\.(\d+)\.downsample\.conv\.(weight|bias)$/, to: 'encoder.down_blocks.$1.downsamplers.0.conv.$2' },
    {
      from: new RegExp(String.raw`^decoder\.up\.(\d+)\.block\.(\d+)\.${RESNET_PART}$`),
      to: (m, vars) => `decoder.up_blocks.${upLevel(m[1], vars)}.resnets.${m[2]}.${resnetPart(m[3])}.${m[4]}`,
    },
    {
      from: /^decoder\.up\.(\d+)\.upsample\.conv\.(weight|bias)$/,
      to: (m, vars) => `decoder.up_blocks.${upLevel(m[1], vars)}.upsamplers.0.conv.${m[2]}`,
    },
    {
      from: new RegExp(String.raw`^(encoder|decoder)\.mid\.block_([12])\.${RESNET_PART}$`),
      to: (m) => `${m[1]}.mid_block.resnets.${Number(m[2]) - 1}.${resnetPart(m[3])}.${m[4]}`,
    },
    { from: /^(encoder|decoder)\.mid\.attn_1\.(norm)\.(weight|bias)$/, to: (m) => `${m[1]}.mid_block.attentions.0.${attnPart(m[2])}.${m[3]}` },
    {
      from: /^(encoder|decoder)\.mid\.attn_1\.(q|k|v|proj_out)\.weight$/,
      to: (m) => `${m[1]}.mid_block.attentions.0.${attnPart(m[2])}.weight`,
      transform: 'conv-to-linear',
    },
    { from: /^(encoder|decoder)\.mid\.attn_1\.(q|k|v|proj_out)\.bias$/, to: (m) => `${m[1]}.mid_block.attentions.0.${attnPart(m[2])}.bias` },
  ],
  // Training leftovers in VAE checkpoints: the LPIPS/discriminator loss and EMA bookkeeping.
  ignore: [/^loss\./, /^model_ema\./],
};

/** The VAE under `prefix` ("first_stage_model." in single files, "" in a standalone LDM VAE file). */
export function ldmVaeWeights(source: TensorSource, prefix: string): ComponentWeights {
  const mapped = mapComponent(source, prefix, LDM_VAE_LAYOUT, 'vae');
  return { weights: new WeightSet(mapped.tensors, 'vae'), ignored: mapped.ignored, warnings: [] };
}
