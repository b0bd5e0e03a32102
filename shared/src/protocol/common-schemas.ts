import { z } from 'zod/v4';
import { named } from './schema-ids.js';
import { ERROR_CATALOG, type ErrorCode } from '../errors.js';
import { JOB_ID_PATTERN, MAX_FRAME_ID, MAX_SEED } from './constants.js';

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

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);

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
    }),
  'ModelSummary',
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
