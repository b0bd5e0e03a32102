import { z } from 'zod/v4';
import { named } from './schema-ids.js';
import {
  errorCodeSchema,
  frameIdSchema,
  jobIdSchema,
  limitsSchema,
  modelSummarySchema,
  loraSummarySchema,
  embeddingSummarySchema,
  checkpointSummarySchema,
  nonNegativeInt,
  positiveInt,
  seedSchema,
} from './common-schemas.js';

// Server messages are plain (non-strict) objects: unknown fields are dropped, so a server that
// adds an informative field does not break plug-ins already in the field.

const extraNetworks = {
  loras: z.array(loraSummarySchema).optional().describe('LoRA files the bridge can apply (absent from older bridges).'),
  embeddings: z.array(embeddingSummarySchema).optional().describe('Textual-inversion embeddings, triggered by name in a prompt.'),
  checkpoints: z
    .array(checkpointSummarySchema)
    .optional()
    .describe("Checkpoint files in the bridge's checkpoints folder that import-model can install."),
};

export const welcomeSchema = named(
  z
    .object({
      type: z.literal('welcome'),
      server: z.string().min(1).describe('Server name and version, e.g. "latent-bridge/0.1.0".'),
      protocol: positiveInt.describe('The protocol version both sides now speak.'),
      capabilities: z.object({
        models: z.array(modelSummarySchema),
        ...extraNetworks,
        schedulers: z.array(z.string().min(1)),
        limits: limitsSchema,
      }),
    }),
  'Welcome',
);

export const queuedSchema = named(
  z
    .object({ type: z.literal('queued'), id: jobIdSchema, position: nonNegativeInt.describe('Jobs ahead of this one.') }),
  'Queued',
);

export const startedSchema = named(
  z.object({ type: z.literal('started'), id: jobIdSchema }),
  'Started',
);

export const PROGRESS_PHASES = ['denoise', 'import'] as const;

export const progressSchema = named(
  z
    .object({
      type: z.literal('progress'),
      id: jobIdSchema,
      step: nonNegativeInt.describe('Denoising steps finished, counted over the whole batch.'),
      total: positiveInt,
      phase: z
        .enum(PROGRESS_PHASES)
        .optional()
        .describe("What step/total count: 'denoise' (absent: the same) or 'import' (tensors written, of import-model)."),
      etaMs: nonNegativeInt.optional().describe('Estimated milliseconds left; absent while unknown.'),
    }),
  'Progress',
);

const imageAnnouncement = {
  id: jobIdSchema,
  index: nonNegativeInt.describe('Batch item, 0-based.'),
  frame: frameIdSchema.describe('Frame id of the binary frame that follows this message.'),
  width: positiveInt,
  height: positiveInt,
};

export const previewSchema = named(
  z
    .object({ type: z.literal('preview'), ...imageAnnouncement, step: nonNegativeInt }),
  'Preview',
);

export const resultSchema = named(
  z
    .object({
      type: z.literal('result'),
      ...imageAnnouncement,
      seed: seedSchema.describe('The seed this image was made with (reproduces it alone with batch 1).'),
      parameters: z.string().describe('Generation parameters in the AUTOMATIC1111 "parameters" text format.'),
    }),
  'Result',
);

export const errorSchema = named(
  z
    .object({
      type: z.literal('error'),
      id: jobIdSchema.optional().describe('The job the error belongs to; absent for connection-level errors.'),
      code: errorCodeSchema,
      message: z.string(),
      field: z.string().optional().describe('Path of the offending field, e.g. "expand.left".'),
    }),
  'Error',
);

export const cancelledSchema = named(
  z.object({ type: z.literal('cancelled'), id: jobIdSchema }),
  'Cancelled',
);

export const doneSchema = named(
  z
    .object({
      type: z.literal('done'),
      id: jobIdSchema,
      results: nonNegativeInt.describe('How many result frames were sent.'),
      timings: z
        .record(z.string(), z.number().min(0))
        .describe('Milliseconds per phase, e.g. {queueMs, loadMs, encodeMs, denoiseMs, decodeMs, totalMs}.'),
      model: z.string().min(1).optional().describe('import-model: the name the imported model is installed under.'),
      warnings: z
        .array(z.string().max(4000))
        .max(64)
        .optional()
        .describe('Things the user should know about the results, e.g. a long prompt cut to fit a UNet exported for 77 tokens.'),
    }),
  'Done',
);

export const modelsSchema = named(
  z
    .object({ type: z.literal('models'), models: z.array(modelSummarySchema), ...extraNetworks }),
  'Models',
);

export const SERVER_STATES = ['idle', 'busy', 'loading', 'stopping'] as const;

export const statusSchema = named(
  z
    .object({
      type: z.literal('status'),
      state: z.enum(SERVER_STATES),
      queueLength: nonNegativeInt.describe('Jobs queued or running, all clients.'),
      jobs: z
        .array(
          z.object({
            id: jobIdSchema,
            state: z.enum(['queued', 'running']),
            position: nonNegativeInt.describe('Jobs ahead of it; 0 when running.'),
          }),
        )
        .describe("This client's jobs."),
      loadedModel: z.string().nullable(),
      uptimeMs: nonNegativeInt,
    }),
  'Status',
);

export const serverMessageSchema = named(
  z
    .discriminatedUnion('type', [
      welcomeSchema,
      queuedSchema,
      startedSchema,
      progressSchema,
      previewSchema,
      resultSchema,
      errorSchema,
      cancelledSchema,
      doneSchema,
      modelsSchema,
      statusSchema,
    ]),
  'ServerMessage',
);

export type WelcomeMessage = z.output<typeof welcomeSchema>;
export type Capabilities = WelcomeMessage['capabilities'];
export type ModelSummary = z.output<typeof modelSummarySchema>;
export type ModelDefaults = NonNullable<ModelSummary['defaults']>;
export type LoraSummary = z.output<typeof loraSummarySchema>;
export type EmbeddingSummary = z.output<typeof embeddingSummarySchema>;
export type CheckpointSummary = z.output<typeof checkpointSummarySchema>;
export type QueuedMessage = z.output<typeof queuedSchema>;
export type StartedMessage = z.output<typeof startedSchema>;
export type ProgressMessage = z.output<typeof progressSchema>;
export type PreviewMessage = z.output<typeof previewSchema>;
export type ResultMessage = z.output<typeof resultSchema>;
export type ErrorMessage = z.output<typeof errorSchema>;
export type CancelledMessage = z.output<typeof cancelledSchema>;
export type DoneMessage = z.output<typeof doneSchema>;
export type ModelsMessage = z.output<typeof modelsSchema>;
export type StatusMessage = z.output<typeof statusSchema>;
export type ServerState = (typeof SERVER_STATES)[number];
export type ServerMessage = z.output<typeof serverMessageSchema>;
export type ServerMessageType = ServerMessage['type'];

export const SERVER_MESSAGE_TYPES: readonly ServerMessageType[] = [
  'welcome',
  'queued',
  'started',
  'progress',
  'preview',
  'result',
  'error',
  'cancelled',
  'done',
  'models',
  'status',
];
