/**
 * Which model a single-file checkpoint holds, from its keys and shapes alone, following the same
 * marker tensors A1111 (`guess_model_config_from_state_dict`) and diffusers
 * (`infer_diffusers_model_type`) look at. Files that are not a whole SD 1.x / 2.x / XL model
 * (LoRAs, embeddings, a lone VAE, the SDXL refiner, SD3/Flux) get an error saying what they are.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import type { ModelFamily, ModelVariant } from '../models/families.js';

export type TextEncoderLayout = 'clip' | 'open-clip';

export interface TextEncoderPlacement {
  prefix: string;
  layout: TextEncoderLayout;
}

export interface CheckpointKind {
  family: ModelFamily;
  variant: ModelVariant;
  unetInChannels: number;
  unetPrefix: string;
  /** Absent when the file carries no VAE (some pruned files): the import then needs --vae. */
  vaePrefix: string | undefined;
  /** The text encoders in pipeline order (SDXL: CLIP-L, then OpenCLIP bigG). */
  textEncoders: TextEncoderPlacement[];
  /** The file says it is v-prediction (SDXL `v_pred` marker) or zero-terminal-SNR (`ztsnr`). */
  markers: { vPrediction: boolean; zeroTerminalSnr: boolean };
  /** The file holds an EMA copy of the UNet (`model_ema.*`). */
  hasEma: boolean;
}

const UNET = 'model.diffusion_model.';
const VAE = 'first_stage_model.';
const KEYS = {
  unetIn: `${UNET}input_blocks.0.0.weight`,
  sd1Text: 'cond_stage_model.transformer.text_model.embeddings.token_embedding.weight',
  sd2Text: 'cond_stage_model.model.token_embedding.weight',
  sdxlText1: 'conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight',
  sdxlText2: 'conditioner.embedders.1.model.token_embedding.weight',
  sdxlRefinerText: 'conditioner.embedders.0.model.token_embedding.weight',
  labelEmb: `${UNET}label_emb.0.0.weight`,
  vae: `${VAE}decoder.conv_in.weight`,
} as const;

type Lookup = Pick<TensorSource, 'keys' | 'entry' | 'file'>;

function refuse(file: string, what: string): BridgeError {
  return new BridgeError('checkpoint_unsupported', `${file} ${what}`, 'source');
}

/** Names what a file is when it is not a whole SD model, or undefined. */
function foreignKind(keys: readonly string[]): string | undefined {
  const some = (test: (k: string) => boolean) => keys.some(test);
  if (some((k) => k.startsWith('lora_unet_') || k.startsWith('lora_te') || /\.lora_[AB]\.weight$/.test(k) || k.includes('.lora_down.'))) {
    return 'is a LoRA, not a model: put it in the LoRA folder and use <lora:name:weight> in the prompt';
  }
  if (some((k) => k === 'emb_params' || k === 'clip_l' || k === 'clip_g' || k.startsWith('string_to_param'))) {
    return 'is a textual-inversion embedding, not a model: put it in the embeddings folder';
  }
  if (some((k) => k.includes('joint_blocks.') || k.includes('double_blocks.'))) {
    return 'is an SD3 or Flux model; latent-bridge runs SD 1.x, SD 2.x and SDXL';
  }
  if (some((k) => k.startsWith('control_model.') || k.startsWith('controlnet_'))) return 'is a ControlNet, not a model';
  if (some((k) => k.startsWith('encoder.down.') || k.startsWith('decoder.up.')) && !some((k) => k.startsWith(UNET))) {
    return 'is a VAE on its own: import a model with --vae pointing at this file';
  }
  return undefined;
}

export function detectCheckpoint(source: Lookup): CheckpointKind {
  const keys = source.keys();
  const has = (key: string) => source.entry(key) !== undefined;
  const foreign = foreignKind(keys);
  if (foreign !== undefined) throw refuse(source.file, foreign);
  const unetIn = source.entry(KEYS.unetIn);
  if (unetIn === undefined) {
    throw refuse(source.file, `has no Stable Diffusion UNet (no ${KEYS.unetIn}); it is not an SD 1.x / 2.x / XL checkpoint`);
  }
  if (has(KEYS.sdxlRefinerText) && !has(KEYS.sdxlText2)) {
    throw refuse(source.file, 'is the SDXL refiner, which runs only after an SDXL base model; import an SDXL base model instead');
  }
  const inChannels = unetIn.shape[1] ?? 0;
  const variant: ModelVariant = inChannels === 9 ? 'inpaint' : inChannels === 8 ? 'pix2pix' : 'base';
  if (variant === 'base' && inChannels !== 4) {
    throw refuse(source.file, `has a UNet with ${inChannels} input channels; SD models have 4 (8 instruct-pix2pix, 9 inpainting)`);
  }

  let family: ModelFamily;
  let textEncoders: TextEncoderPlacement[];
  if (has(KEYS.sdxlText2) || has(KEYS.labelEmb)) {
    family = 'sdxl';
    textEncoders = [
      { prefix: 'conditioner.embedders.0.transformer.', layout: 'clip' },
      { prefix: 'conditioner.embedders.1.model.', layout: 'open-clip' },
    ];
  } else if (has(KEYS.sd2Text)) {
    family = 'sd2';
    textEncoders = [{ prefix: 'cond_stage_model.model.', layout: 'open-clip' }];
  } else if (has(KEYS.sd1Text)) {
    family = 'sd1';
    textEncoders = [{ prefix: 'cond_stage_model.transformer.', layout: 'clip' }];
  } else {
    throw refuse(source.file, 'has a UNet but no text encoder this importer knows (CLIP, OpenCLIP); only SD 1.x / 2.x / XL are supported');
  }
  for (const te of textEncoders) {
    if (!keys.some((k) => k.startsWith(te.prefix))) {
      throw refuse(source.file, `lacks its ${family === 'sdxl' ? 'second ' : ''}text encoder (no ${te.prefix}* tensors)`);
    }
  }
  return {
    family,
    variant,
    unetInChannels: inChannels,
    unetPrefix: UNET,
    vaePrefix: has(KEYS.vae) ? VAE : undefined,
    textEncoders,
    markers: { vPrediction: has('v_pred'), zeroTerminalSnr: has('ztsnr') },
    hasEma: keys.some((k) => k.startsWith('model_ema.')),
  };
}
