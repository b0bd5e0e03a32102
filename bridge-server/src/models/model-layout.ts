/**
 * The diffusers ONNX folder layout latent-bridge runs, and what each component's graph must accept.
 */
import type { AddedWord } from '../tokenizer/index.js';
import type { JobDefaults, ModelFamily, ModelVariant, PredictionType, Size } from './families.js';

export type ComponentName = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder';

export const COMPONENTS: readonly ComponentName[] = ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder'];

export interface ExpectedInput {
  name: string;
  /** Allowed ranks; timesteps come as scalars or [1]/[batch] depending on the exporter. */
  ranks: readonly number[];
}

export const COMPONENT_INPUTS: Record<ComponentName, readonly ExpectedInput[]> = {
  text_encoder: [{ name: 'input_ids', ranks: [2] }],
  text_encoder_2: [{ name: 'input_ids', ranks: [2] }],
  unet: [
    { name: 'sample', ranks: [4] },
    { name: 'timestep', ranks: [0, 1] },
    { name: 'encoder_hidden_states', ranks: [3] },
  ],
  vae_decoder: [{ name: 'latent_sample', ranks: [4] }],
  vae_encoder: [{ name: 'sample', ranks: [4] }],
};

/** SDXL's UNet also takes the pooled text embedding and the six size/crop conditioning ids. */
export const SDXL_UNET_INPUTS: readonly ExpectedInput[] = [
  { name: 'text_embeds', ranks: [2] },
  { name: 'time_ids', ranks: [2] },
];

/** vae_encoder is optional: only img2img and inpainting need it. text_encoder_2 only SDXL has. */
export const REQUIRED_COMPONENTS: readonly ComponentName[] = ['text_encoder', 'unet', 'vae_decoder'];

export const MODEL_INDEX = 'model_index.json';
export const SCHEDULER_CONFIG = 'scheduler/scheduler_config.json';
export const TOKENIZER_DIR = 'tokenizer';
export const TOKENIZER_2_DIR = 'tokenizer_2';
/** What latent-bridge's importer records about a model it made (source file, hashes, defaults). */
export const PROVENANCE_FILE = 'latent-bridge.json';
export const TOKENIZER_VOCAB = 'tokenizer/vocab.json';
export const TOKENIZER_MERGES = 'tokenizer/merges.txt';
export const OPTIONAL_JSON_FILES = [
  'tokenizer/special_tokens_map.json',
  'tokenizer/tokenizer_config.json',
  'text_encoder/config.json',
  'text_encoder_2/config.json',
  'tokenizer_2/special_tokens_map.json',
  'tokenizer_2/tokenizer_config.json',
  'unet/config.json',
  'vae_decoder/config.json',
  'vae_encoder/config.json',
] as const;

/** Names exporters give the external weights file that sits next to a model.onnx. */
export const EXTERNAL_DATA_NAMES = ['weights.pb', 'model.onnx_data', 'model.onnx.data'] as const;

export const DEFAULT_SCALING_FACTOR = 0.18215;
export const DEFAULT_NATIVE_SIZE = 512;
/** The VAE downsamples by 8: latent side = image side / 8. */
export const VAE_SCALE = 8;

export function componentModelPath(component: ComponentName): string {
  return `${component}/model.onnx`;
}

export type ModelProblemKind =
  | 'missing_file'
  | 'invalid_json'
  | 'invalid_onnx'
  | 'missing_external_data'
  | 'short_external_data'
  | 'bad_external_data_location'
  | 'signature_mismatch';

export interface ModelProblem {
  kind: ModelProblemKind;
  /** Absolute path of the file at fault. */
  path: string;
  /** The same path relative to the model folder, '/'-separated (for messages and the wire). */
  file: string;
  message: string;
}

export interface ModelComponents {
  textEncoder: string;
  /** SDXL's second text encoder (OpenCLIP bigG with projection). */
  textEncoder2: string | undefined;
  unet: string;
  vaeDecoder: string;
  vaeEncoder: string | undefined;
}

export interface ModelInfo {
  name: string;
  /** Words the tokenizers learn for this run (textual-inversion embeddings added to the text encoders). */
  addedWords?: readonly AddedWord[];
  dir: string;
  /** Absolute paths of each component's model.onnx. */
  components: ModelComponents;
  scalingFactor: number;
  /** Image side the UNet was trained at (sample_size x 8), 512 for SD 1.x when nothing says. */
  nativeSize: number;
  /** Set when the UNet graph has static height/width: it can only run at this image size. */
  staticSize: { width: number; height: number } | undefined;
  /**
   * Image sides the UNet runs at are multiples of this: 8 · 2^(levels − 1). ONNX exports trace
   * their upsampling at one size, so a side the UNet cannot halve evenly at every level fails in a
   * Concat. From unet/config.json's block_out_channels; 64 (SD's four levels) when it is missing.
   */
  sizeMultiple: number;
  inChannels: number;
  inpainting: boolean;
  hasVaeEncoder: boolean;
  /** Element type of the UNet's sample input ('float32', 'float16'). */
  unetDtype: string;
  schedulerConfig: Record<string, unknown>;
  tokenizerDir: string;
  /** SDXL's second tokenizer (pads with "!"). */
  tokenizer2Dir: string | undefined;
  sizeBytes: number;
  family: ModelFamily;
  variant: ModelVariant;
  prediction: PredictionType;
  /** SDXL: an empty negative prompt means zero embeddings, not the encoding of "" (model_index.json). */
  forceZerosForEmptyPrompt: boolean;
  /** What a job gets for fields it leaves out, and the sizes to offer. */
  defaults: JobDefaults;
  sizes: Size[];
  /** Where an imported model came from (its latent-bridge.json), when it was imported. */
  provenance: ModelProvenance | undefined;
}

/** latent-bridge.json: written last by an import, so its presence means the import finished. */
export interface ModelProvenance {
  /** The checkpoint file or diffusers folder imported. */
  source: string;
  /** SHA-256 of the source file (hex), when it is one file. */
  sha256: string | undefined;
  /** A1111's short model hash: the first 10 hex digits of sha256. */
  shortHash: string | undefined;
  title: string;
  importedAt: string;
  importer: string;
  dtype: 'fp32' | 'fp16';
  /** Defaults the import recorded (e.g. a Turbo model's 1 step, guidance 0); they win over the family's. */
  defaults: Partial<JobDefaults> | undefined;
}
