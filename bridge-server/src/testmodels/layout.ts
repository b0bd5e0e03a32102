/**
 * The JSON and tokenizer files of a diffusers ONNX folder (model_index.json, tokenizer/,
 * scheduler/, per-component config.json), written the way SD 1.5's exports ship them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIFFUSERS_VERSION = '0.30.0';
const PACKAGE_NAME = '@latent-bridge/bridge-server';

export type PredictionType = 'epsilon' | 'v_prediction';

/**
 * bridge-server/assets/clip-tokenizer. Found by walking up from this module (src and dist builds
 * inside the package) and, for builds emitted elsewhere, from the working directory; at each level
 * the folder itself, a bridge-server/ child and the workspace link in node_modules are tried.
 */
export function clipTokenizerAssetsDir(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      for (const candidate of [dir, join(dir, 'bridge-server'), join(dir, 'node_modules', ...PACKAGE_NAME.split('/'))]) {
        if (isBridgeServerPackage(candidate)) return join(candidate, 'assets', 'clip-tokenizer');
      }
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`testmodels: cannot find ${PACKAGE_NAME}/package.json above ${starts.join(' or ')}`);
}

function isBridgeServerPackage(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

// Weakly held: a long-running bridge that built its demo models once should not keep 49k vocabulary
// strings for every later garbage collection to mark.
let cachedVocab: WeakRef<ReadonlyMap<string, number>> | undefined;

/** CLIP's token -> id table from the bundled vocab.json. */
export function clipVocab(): ReadonlyMap<string, number> {
  const held = cachedVocab?.deref();
  if (held !== undefined) return held;
  const parsed: unknown = JSON.parse(readFileSync(join(clipTokenizerAssetsDir(), 'vocab.json'), 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('testmodels: vocab.json is not an object');
  const map = new Map<string, number>();
  for (const [token, id] of Object.entries(parsed)) {
    if (typeof id === 'number') map.set(token, id);
  }
  cachedVocab = new WeakRef(map);
  return map;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

export async function writeModelIndex(dir: string): Promise<void> {
  await writeJson(join(dir, 'model_index.json'), {
    _class_name: 'OnnxStableDiffusionPipeline',
    _diffusers_version: DIFFUSERS_VERSION,
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['diffusers', 'OnnxRuntimeModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'OnnxRuntimeModel'],
    vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
    vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
  });
}

export async function writeSchedulerConfig(dir: string, prediction: PredictionType): Promise<void> {
  await writeJson(join(dir, 'scheduler', 'scheduler_config.json'), {
    _class_name: 'PNDMScheduler',
    _diffusers_version: DIFFUSERS_VERSION,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    clip_sample: false,
    num_train_timesteps: 1000,
    prediction_type: prediction,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    trained_betas: null,
  });
}

function addedToken(content: string, typed: boolean): Record<string, unknown> {
  const token = { content, lstrip: false, normalized: true, rstrip: false, single_word: false };
  return typed ? { __type: 'AddedToken', ...token } : token;
}

export async function writeTokenizer(dir: string): Promise<void> {
  const target = join(dir, 'tokenizer');
  await mkdir(target, { recursive: true });
  const assets = clipTokenizerAssetsDir();
  await copyFile(join(assets, 'vocab.json'), join(target, 'vocab.json'));
  await copyFile(join(assets, 'merges.txt'), join(target, 'merges.txt'));
  await writeJson(join(target, 'special_tokens_map.json'), {
    bos_token: addedToken('<|startoftext|>', false),
    eos_token: addedToken('<|endoftext|>', false),
    pad_token: '<|endoftext|>',
    unk_token: addedToken('<|endoftext|>', false),
  });
  await writeJson(join(target, 'tokenizer_config.json'), {
    add_prefix_space: false,
    bos_token: addedToken('<|startoftext|>', true),
    do_lower_case: true,
    eos_token: addedToken('<|endoftext|>', true),
    errors: 'replace',
    model_max_length: 77,
    name_or_path: 'openai/clip-vit-large-patch14',
    pad_token: '<|endoftext|>',
    special_tokens_map_file: './special_tokens_map.json',
    tokenizer_class: 'CLIPTokenizer',
    unk_token: addedToken('<|endoftext|>', true),
  });
}

export interface ComponentConfigs {
  hiddenSize: number;
  textLayers: number;
  textHeads: number;
  unetInChannels: number;
  unetBlockChannels: readonly number[];
  vaeBlockChannels: readonly number[];
  scalingFactor: number;
}

export async function writeComponentConfigs(dir: string, c: ComponentConfigs): Promise<void> {
  await writeJson(join(dir, 'text_encoder', 'config.json'), {
    architectures: ['CLIPTextModel'],
    model_type: 'clip_text_model',
    hidden_act: 'quick_gelu',
    hidden_size: c.hiddenSize,
    intermediate_size: c.hiddenSize * 4,
    max_position_embeddings: 77,
    num_attention_heads: c.textHeads,
    num_hidden_layers: c.textLayers,
    vocab_size: 49408,
    bos_token_id: 0,
    eos_token_id: 2,
    pad_token_id: 1,
  });
  await writeJson(join(dir, 'unet', 'config.json'), {
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: DIFFUSERS_VERSION,
    sample_size: 64,
    in_channels: c.unetInChannels,
    out_channels: 4,
    cross_attention_dim: c.hiddenSize,
    block_out_channels: c.unetBlockChannels,
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
    layers_per_block: 1,
  });
  const vae = {
    _class_name: 'AutoencoderKL',
    _diffusers_version: DIFFUSERS_VERSION,
    in_channels: 3,
    out_channels: 3,
    latent_channels: 4,
    sample_size: 512,
    block_out_channels: c.vaeBlockChannels,
    scaling_factor: c.scalingFactor,
  };
  await writeJson(join(dir, 'vae_decoder', 'config.json'), vae);
  await writeJson(join(dir, 'vae_encoder', 'config.json'), vae);
}
