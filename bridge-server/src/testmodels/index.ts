/**
 * Test models the project builds itself: complete diffusers ONNX folders (model_index.json,
 * text_encoder/, unet/, vae_decoder/, vae_encoder/, tokenizer/, scheduler/) generated at test
 * time, with the tensor names, dtypes and symbolic dims of real Stable Diffusion exports.
 *
 * - 'oracle': closed-form components whose outputs (and a pipeline's final image) are predictable;
 *   see oracle/reference.ts.
 * - 'tiny-random': SD's operator structure at tiny width with seeded random weights.
 */
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { invalidField } from '@latent-bridge/shared';
import type { ExternalDataOptions, FloatType, GraphBuilder } from '../onnx/graph-builder.js';
import {
  writeComponentConfigs,
  writeModelIndex,
  writeSchedulerConfig,
  writeTokenizer,
  type PredictionType,
} from './layout.js';
import { ORACLE_HIDDEN_SIZE } from './oracle/colours.js';
import {
  oracleTextEncoder,
  oracleUnet,
  oracleVaeDecoder,
  oracleVaeEncoder,
  type TimestepType,
  type VaeEncoderOutput,
} from './oracle/models.js';
import { TINY_TEXT, tinyTextEncoder } from './tinyRandom/clip.js';
import { TINY_UNET, tinyUnet } from './tinyRandom/unet.js';
import { TINY_VAE, tinyVaeDecoder, tinyVaeEncoder } from './tinyRandom/vae.js';

export type TestModelKind = 'oracle' | 'tiny-random';
export type { PredictionType, TimestepType, VaeEncoderOutput };

export interface TestModelOptions {
  /** input_ids element type; default 'int32' (diffusers script), 'int64' as optimum exports. */
  inputIdsType?: 'int32' | 'int64';
  /** Default 'int64' with shape [batch]; the float types have shape [1]. */
  timestepType?: TimestepType;
  /** Float16 float inputs/outputs; tiny-random also stores every weight and computes in float16. */
  fp16?: boolean;
  /** A 9-channel UNet: [noisy latents(4), mask(1), masked-image latents(4)]. */
  inpaint?: boolean;
  /** What the UNet predicts; scheduler_config.json says the same. Default 'epsilon'. */
  prediction?: PredictionType;
  /** Default 'latent_sample' (diffusers script: an unscaled sample); 'latent_parameters' (optimum: mean, logvar). */
  vaeEncoderOutput?: VaeEncoderOutput;
  /** scaling_factor in vae_*\/config.json (and the oracle's latent scale). Default 0.3, deliberately not SD's 0.18215. */
  scalingFactor?: number;
  /** Weight seed for tiny-random; default 0. */
  seed?: number;
  /** Oracle only: text encoder and UNet exported with this fixed token count (77) instead of a symbolic one. */
  fixedSequence?: number;
}

export interface TestModelInfo {
  kind: TestModelKind;
  dir: string;
  floatType: FloatType;
  scalingFactor: number;
  /** The text encoder's hidden size = the UNet's cross-attention dim. */
  hiddenSize: number;
  unetInChannels: number;
  /** Every file written, relative to dir, with its size in bytes. */
  files: { path: string; bytes: number }[];
}

export const DEFAULT_SCALING_FACTOR = 0.3;

const TEXT_ENCODER_EXTERNAL: ExternalDataOptions = { location: 'model.onnx_data', thresholdBytes: 1024 };
const UNET_EXTERNAL: ExternalDataOptions = { location: 'weights.pb', thresholdBytes: 1024 };

interface Components {
  textEncoder: GraphBuilder;
  unet: GraphBuilder;
  vaeDecoder: GraphBuilder;
  vaeEncoder: GraphBuilder;
  hiddenSize: number;
  textLayers: number;
  textHeads: number;
  unetBlockChannels: readonly number[];
  vaeBlockChannels: readonly number[];
}

export async function makeTestModel(kind: TestModelKind, dir: string, options: TestModelOptions = {}): Promise<TestModelInfo> {
  const floatType: FloatType = options.fp16 === true ? 'float16' : 'float32';
  const idsType = options.inputIdsType ?? 'int32';
  const timestepType = options.timestepType ?? 'int64';
  const prediction = options.prediction ?? 'epsilon';
  const encoderOutput = options.vaeEncoderOutput ?? 'latent_sample';
  const scalingFactor = options.scalingFactor ?? DEFAULT_SCALING_FACTOR;
  const inChannels = options.inpaint === true ? 9 : 4;
  const seed = options.seed ?? 0;
  if (!(scalingFactor > 0) || !Number.isFinite(scalingFactor)) throw invalidField('scalingFactor', 'must be a positive number');
  if (!Number.isInteger(seed) || seed < 0) throw invalidField('seed', 'must be a non-negative integer');

  let c: Components;
  if (kind === 'oracle') {
    c = {
      textEncoder: oracleTextEncoder(floatType, idsType, options.fixedSequence),
      unet: oracleUnet({ io: floatType, timestepType, inpaint: inChannels === 9, prediction, scalingFactor, ...(options.fixedSequence !== undefined ? { sequence: options.fixedSequence } : {}) }),
      vaeDecoder: oracleVaeDecoder(floatType),
      vaeEncoder: oracleVaeEncoder(floatType, encoderOutput),
      hiddenSize: ORACLE_HIDDEN_SIZE,
      textLayers: 0,
      textHeads: 1,
      unetBlockChannels: [4],
      vaeBlockChannels: [4],
    };
  } else if (kind === 'tiny-random') {
    c = {
      textEncoder: tinyTextEncoder(floatType, idsType, seed * 4 + 1),
      unet: tinyUnet({ floatType, timestepType, inChannels, contextDim: TINY_TEXT.hidden, seed: seed * 4 + 2 }),
      vaeDecoder: tinyVaeDecoder(floatType, seed * 4 + 3),
      vaeEncoder: tinyVaeEncoder(floatType, encoderOutput, seed * 4 + 4),
      hiddenSize: TINY_TEXT.hidden,
      textLayers: TINY_TEXT.layers,
      textHeads: TINY_TEXT.heads,
      unetBlockChannels: TINY_UNET.blockChannels,
      vaeBlockChannels: TINY_VAE.blockChannels,
    };
  } else {
    throw invalidField('kind', `unknown test model kind ${String(kind)}`);
  }

  const written = [
    ...(await c.textEncoder.write(join(dir, 'text_encoder'), 'model.onnx', TEXT_ENCODER_EXTERNAL)),
    ...(await c.unet.write(join(dir, 'unet'), 'model.onnx', UNET_EXTERNAL)),
    ...(await c.vaeDecoder.write(join(dir, 'vae_decoder'))),
    ...(await c.vaeEncoder.write(join(dir, 'vae_encoder'))),
  ];
  await writeModelIndex(dir);
  await writeSchedulerConfig(dir, prediction);
  await writeTokenizer(dir);
  await writeComponentConfigs(dir, {
    hiddenSize: c.hiddenSize,
    textLayers: c.textLayers,
    textHeads: c.textHeads,
    unetInChannels: inChannels,
    unetBlockChannels: c.unetBlockChannels,
    vaeBlockChannels: c.vaeBlockChannels,
    scalingFactor,
  });
  const jsonFiles = [
    'model_index.json',
    'scheduler/scheduler_config.json',
    'tokenizer/vocab.json',
    'tokenizer/merges.txt',
    'tokenizer/special_tokens_map.json',
    'tokenizer/tokenizer_config.json',
    'text_encoder/config.json',
    'unet/config.json',
    'vae_decoder/config.json',
    'vae_encoder/config.json',
  ].map((p) => join(dir, p));
  const files = await Promise.all(
    [...written, ...jsonFiles].map(async (path) => ({ path: relative(dir, path), bytes: (await stat(path)).size })),
  );
  return { kind, dir, floatType, scalingFactor, hiddenSize: c.hiddenSize, unetInChannels: inChannels, files };
}

export {
  ORACLE_COLOURS,
  ORACLE_HIDDEN_SIZE,
  oracleColour,
  oracleColourOfPrompt,
  oracleEmbeddingTable,
  oracleTokenColours,
  type Rgb,
} from './oracle/colours.js';
export { ORACLE_DECODE_MATRIX, ORACLE_DECODE_OFFSET, ORACLE_LOGVAR } from './oracle/models.js';
export {
  oracleColourToPixel,
  oracleExpectedImage,
  oracleExpectedPixel,
  oracleGuidedColour,
  oracleUnetReference,
  oracleVaeDecode,
  oracleVaeEncode,
  type OracleExpectation,
  type OracleUnetInputs,
} from './oracle/reference.js';
export { sdAlphasCumprod, sdTrainingSigmas, sigmaAt } from './sdSchedule.js';
export { clipTokenizerAssetsDir, clipVocab } from './layout.js';
