/**
 * The JSON and tokenizer files of an ONNX model folder, laid out as optimum's diffusers export
 * writes them: the pipeline's model_index.json, scheduler/scheduler_config.json, tokenizer/ (and
 * tokenizer_2/ for SDXL) as CLIPTokenizer.save_pretrained leaves them, and one config.json per
 * component folder.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bundledClipTokenizerDir } from '../tokenizer/bundled.js';
import { padToken, pipelineClass, type ModelFamily, type ModelVariant } from '../models/families.js';
import type { TextEncoderLayout } from './detect-checkpoint.js';

/** The diffusers version whose config formats the folders follow. */
export const DIFFUSERS_VERSION = '0.30.0';

export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

export interface ModelIndexOptions {
  family: ModelFamily;
  variant: ModelVariant;
  schedulerClass: string;
}

/** model_index.json as the diffusers pipeline saves it (optimum keeps it: `model.save_config(output)`). */
export function modelIndex(o: ModelIndexOptions): Record<string, unknown> {
  const index: Record<string, unknown> = {
    _class_name: pipelineClass(o.family, o.variant),
    _diffusers_version: DIFFUSERS_VERSION,
    feature_extractor: [null, null],
    image_encoder: [null, null],
    scheduler: ['diffusers', o.schedulerClass],
    text_encoder: ['transformers', 'CLIPTextModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
  };
  if (o.family === 'sdxl') {
    index['text_encoder_2'] = ['transformers', 'CLIPTextModelWithProjection'];
    index['tokenizer_2'] = ['transformers', 'CLIPTokenizer'];
    index['force_zeros_for_empty_prompt'] = true;
    if (o.variant === 'inpaint') index['requires_aesthetics_score'] = false;
  } else {
    index['requires_safety_checker'] = false;
    index['safety_checker'] = [null, null];
  }
  return index;
}

function addedToken(content: string): Record<string, unknown> {
  return { content, lstrip: false, normalized: true, rstrip: false, single_word: false, special: true };
}

/**
 * A CLIPTokenizer folder with the bundled openai/CLIP vocabulary. OpenCLIP-trained encoders (SD 2's,
 * SDXL's second) pad with "!" where OpenAI's CLIP pads with <|endoftext|>.
 */
export async function writeTokenizer(dir: string, layout: TextEncoderLayout, nameOrPath = 'openai/clip-vit-large-patch14'): Promise<void> {
  await mkdir(dir, { recursive: true });
  const assets = bundledClipTokenizerDir();
  await copyFile(join(assets, 'vocab.json'), join(dir, 'vocab.json'));
  await copyFile(join(assets, 'merges.txt'), join(dir, 'merges.txt'));
  const pad = padToken(layout);
  await writeJson(join(dir, 'special_tokens_map.json'), {
    bos_token: addedToken('<|startoftext|>'),
    eos_token: addedToken('<|endoftext|>'),
    pad_token: pad === '!' ? addedToken('!') : addedToken(pad),
    unk_token: addedToken('<|endoftext|>'),
  });
  await writeJson(join(dir, 'tokenizer_config.json'), {
    add_prefix_space: false,
    bos_token: '<|startoftext|>',
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: '<|endoftext|>',
    errors: 'replace',
    model_max_length: 77,
    name_or_path: nameOrPath,
    pad_token: pad,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: '<|endoftext|>',
  });
}
