import { z } from 'zod/v4';
import { named } from './schema-ids.js';
import { ERROR_CATALOG, type ErrorCode } from '../errors.js';
import { JOB_ID_PATTERN, MAX_FRAME_ID, MAX_SEED } from './constants.js';

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);

export const jobIdSchema = z
  .string()
  .regex(JOB_ID_PATTERN)
  .describe('Client-chosen job id: 1-64 characters of A-Z a-z 0-9 . _ : -');

export const seedSchema = z.number().int().min(0).max(MAX_SEED).describe('Integer seed, 0 to 2^53-1.');

export const frameIdSchema = z.number().int().min(0).max(MAX_FRAME_ID);

/** Points at a binary frame by the frame id in its header. */
export const frameRefSchema = named(
  z
    .strictObject({ frame: frameIdSchema })
    .describe('Reference to a binary frame by its u32 frame id.'),
  'FrameRef',
);


export const MODEL_FAMILIES = ['sd1', 'sd2', 'sdxl'] as const;
export type ModelFamilyName = (typeof MODEL_FAMILIES)[number];
export const modelFamilySchema = z.enum(MODEL_FAMILIES).describe('sd1: SD 1.x; sd2: SD 2.x; sdxl: SDXL.');

const sizeSchema = z.object({ width: positiveInt, height: positiveInt });

export const modelDefaultsSchema = named(
  z
    .object({
      steps: positiveInt,
      guidance: z.number().min(0),
      scheduler: z.string().min(1),
      width: positiveInt,
      height: positiveInt,
    })
    .describe("What a client pre-fills when the user picks the model (from the model's own config: Turbo models start at 1 step and guidance 0)."),
  'ModelDefaults',
);

export const modelSummarySchema = named(
  z
    .object({
      name: z.string().min(1),
      nativeSize: z.number().int().min(64).describe('Side in pixels the model was trained at (512, 768, 1024).'),
      inpainting: z.boolean().describe('True for a dedicated inpainting UNet (9 input channels).'),
      img2img: z.boolean(),
      sizeMultiple: z
        .number()
        .int()
        .min(8)
        .max(512)
        .optional()
        .describe(
          "Generation sides the model's UNet runs at are multiples of this (64 for Stable Diffusion: its ONNX exports fail on other sizes). Absent from older bridges: take 8.",
        ),
      family: modelFamilySchema.optional().describe('Model family; absent from older bridges and for models of no family (the demo models).'),
      prediction: z.enum(['epsilon', 'v_prediction']).optional().describe("What the UNet predicts (SD 2.x 768-v models: v_prediction)."),
      defaults: modelDefaultsSchema.optional(),
      sizes: z
        .array(sizeSchema)
        .max(64)
        .optional()
        .describe('Width × height pairs the model was trained at (SDXL aspect buckets); offer them as presets.'),
      hash: z.string().regex(/^[0-9a-f]{10}$/).optional().describe("AUTOMATIC1111's short model hash (first 10 hex digits of the file's sha256)."),
    }),
  'ModelSummary',
);

export const loraSummarySchema = named(
  z
    .object({
      name: z.string().min(1).describe('File stem, as written in <lora:NAME:weight> and in generate.loras.'),
      family: modelFamilySchema.optional().describe('Family of the base model the LoRA was trained on, when the file tells.'),
      alias: z.string().min(1).optional().describe('Alias stored in the file (kohya ss_output_name), also accepted in prompts.'),
    }),
  'LoraSummary',
);

export const embeddingSummarySchema = named(
  z
    .object({
      name: z.string().min(1).describe('Trigger word: the file stem (A1111), typed in a prompt or negative prompt.'),
      family: modelFamilySchema.optional(),
      vectors: positiveInt.describe('Token positions it takes in the prompt.'),
    }),
  'EmbeddingSummary',
);

export const checkpointSummarySchema = named(
  z
    .object({
      name: z.string().min(1).describe("File name inside the bridge's checkpoints folder; the source of import-model."),
      bytes: nonNegativeInt,
      imported: z.string().min(1).optional().describe('Name of the installed model made from this file, when there is one.'),
    }),
  'CheckpointSummary',
);

export const limitsSchema = named(
  z
    .object({
      maxPixels: positiveInt,
      maxBatch: positiveInt,
      maxSteps: positiveInt,
      maxMessageBytes: positiveInt,
      maxQueuePerClient: positiveInt,
      maxPromptChars: positiveInt,
      maxFrameBytes: positiveInt,
      maxPendingFrames: nonNegativeInt,
      frameTtlMs: positiveInt,
      maxResults: positiveInt.describe('Most results one job may produce (animation frames, prompt-list entries).'),
    }),
  'Limits',
);

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as [ErrorCode, ...ErrorCode[]];

export const errorCodeSchema = z.enum(ERROR_CODES);

export { positiveInt, nonNegativeInt };
