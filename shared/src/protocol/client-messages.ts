import { z } from 'zod/v4';
import { named } from './schema-ids.js';
import { frameRefSchema, jobIdSchema, nonNegativeInt, positiveInt, seedSchema } from './common-schemas.js';

// Client messages are strict objects: a misspelt field in a request is a bug the sender wants to
// hear about. `hello` is the exception, see below.

/**
 * `hello` keeps its shape across protocol versions and ignores unknown fields, so that a client
 * of any version gets a protocol_version answer rather than a validation error.
 */
export const helloSchema = named(
  z
    .object({
      type: z.literal('hello'),
      protocol: positiveInt.describe('Protocol version the client speaks.'),
      client: z.string().min(1).max(200).describe('Client name and version, e.g. "photoshop/0.1.0".'),
      token: z.string().max(4096).optional().describe('Shared secret; absent when the server needs none.'),
    }),
  'Hello',
);

export const GENERATE_MODES = ['txt2img', 'img2img', 'inpaint', 'outpaint'] as const;
export type GenerateMode = (typeof GENERATE_MODES)[number];

/** Values the parser fills in for absent optional fields of `generate`. */
export const GENERATE_DEFAULTS = Object.freeze({
  negative: '',
  batch: 1,
  fill: 'edge' as 'edge' | 'noise',
  preview: false as boolean | { every: number },
  resultFormat: 'raw-rgba' as 'raw-rgba' | 'png',
  previewFormat: 'raw-rgba' as 'raw-rgba' | 'jpeg',
});

export const expandSchema = named(
  z
    .strictObject({
      left: z.number().int().min(0).max(4096),
      top: z.number().int().min(0).max(4096),
      right: z.number().int().min(0).max(4096),
      bottom: z.number().int().min(0).max(4096),
    })
    .describe('Pixels of new canvas on each side of the output (outpaint).'),
  'Expand',
);

export const previewOptionSchema = z
  .union([z.boolean(), z.strictObject({ every: z.number().int().min(1).max(1000) })])
  .describe('false: no previews; true: a preview every step; {every: n}: every n-th step.');

export const variationSchema = named(
  z
    .strictObject({ seed: seedSchema, strength: z.number().min(0).max(1) })
    .describe('Blend the initial noise towards the noise of another seed.'),
  'Variation',
);

export const seedResizeSchema = named(
  z
    .strictObject({ width: z.number().int().min(8).max(8192), height: z.number().int().min(8).max(8192) })
    .describe("A1111's seed_resize_from_w/h: the size (pixels) the seed's noise was first made at; pasted, centred, into this size's noise."),
  'SeedResize',
);

export const animationSchema = named(
  z
    .strictObject({
      frames: z.number().int().min(2).max(10_000).describe('Frames from the job\'s prompt and seed to toPrompt/toSeed; limit maxResults.'),
      toPrompt: z.string().optional().describe('The last frame\'s prompt (embeddings are interpolated); default: the prompt.'),
      toSeed: seedSchema.optional().describe('The last frame\'s seed (noise is slerped); default: the seed.'),
      chainStrength: z
        .number()
        .gt(0)
        .lt(1)
        .optional()
        .describe('Each frame after the first starts from the previous one through img2img at this strength.'),
    })
    .describe('txt2img only: one result per frame, in order (index = frame).'),
  'Animation',
);

export const promptEntrySchema = named(
  z
    .strictObject({
      prompt: z.string().min(1),
      negative: z.string().optional().describe('Default: the job\'s negative.'),
      seed: seedSchema.optional().describe('Default: the job\'s seed (random when the job has none).'),
      steps: positiveInt.optional(),
      guidance: z.number().min(0).max(50).optional(),
      scheduler: z.string().min(1).max(64).optional(),
    })
    .describe('One entry of a prompt list; absent fields come from the job.'),
  'PromptEntry',
);

const sideSchema = z.number().int().min(64).max(8192).multipleOf(8);

export const MAX_LORAS = 16;

export const loraRequestSchema = named(
  z
    .strictObject({
      name: z.string().min(1).max(256).describe('A LoRA the bridge lists (capabilities.loras[].name or alias).'),
      weight: z.number().min(-10).max(10).describe('Multiplier, as in <lora:name:weight>; negative values subtract.'),
    }),
  'LoraRequest',
);

export const generateSchema = named(
  z
    .strictObject({
      type: z.literal('generate'),
      id: jobIdSchema,
      mode: z.enum(GENERATE_MODES),
      model: z.string().min(1).max(256),
      prompt: z
        .string()
        .describe('Prompt text; weights like (word:1.2), <lora:name:weight> tags and embedding names live inside the text.'),
      negative: z.string().default(GENERATE_DEFAULTS.negative),
      steps: positiveInt,
      guidance: z.number().min(0).max(50).describe('Classifier-free guidance scale.'),
      scheduler: z.string().min(1).max(64),
      seed: seedSchema.optional().describe('Absent: the server picks a random seed and reports it in result.'),
      strength: z
        .number()
        .min(0)
        .max(1)
        .optional()
        .describe('Denoising strength. Absent: 0.75 for img2img, 1 for inpaint and outpaint.'),
      width: sideSchema
        .optional()
        .describe('txt2img: width of the images (default: the model\'s native size). Other modes: width the model works at (default: planned by the server).'),
      height: sideSchema
        .optional()
        .describe('txt2img: height of the images (default: the model\'s native size). Other modes: height the model works at (default: planned by the server).'),
      batch: positiveInt.default(GENERATE_DEFAULTS.batch),
      image: frameRefSchema.optional(),
      mask: frameRefSchema.optional(),
      grow: z.number().int().min(-256).max(256).optional().describe('Grow (negative: shrink) the mask by this many pixels. Absent: 4.'),
      feather: nonNegativeInt
        .max(256)
        .optional()
        .describe('Blur radius of the mask edge when blending, pixels. Absent: 10 % of the selection\'s short side.'),
      padding: nonNegativeInt.max(1024).optional().describe('Context kept around the masked area, pixels. Absent: 32.'),
      expand: expandSchema.optional(),
      fill: z.enum(['edge', 'noise']).default(GENERATE_DEFAULTS.fill).describe('How new outpaint canvas is pre-filled.'),
      preview: previewOptionSchema.default(GENERATE_DEFAULTS.preview),
      // Raw pixels need no decoder on the client (the UXP panel has none for PNG).
      resultFormat: z.enum(['raw-rgba', 'png']).default(GENERATE_DEFAULTS.resultFormat).describe('Format of result frames.'),
      previewFormat: z.enum(['raw-rgba', 'jpeg']).default(GENERATE_DEFAULTS.previewFormat).describe('Format of preview frames.'),
      variation: variationSchema.optional(),
      seedResizeFrom: seedResizeSchema.optional(),
      mixMode: z
        .enum(['embeddings', 'noise'])
        .optional()
        .describe('How "a :0.7 | b :0.3" prompts combine: blended text embeddings (default) or combined noise predictions.'),
      animation: animationSchema.optional(),
      loras: z
        .array(loraRequestSchema)
        .max(MAX_LORAS)
        .optional()
        .describe('LoRAs applied to this job, on top of any <lora:…> tags in the prompt.'),
      prompts: z
        .array(promptEntrySchema)
        .min(1)
        .max(10_000)
        .optional()
        .describe('txt2img only: one result per entry, in order (index = entry); the job\'s prompt must be "".'),
    }),
  'Generate',
);

export const cancelSchema = named(
  z.strictObject({ type: z.literal('cancel'), id: jobIdSchema }),
  'Cancel',
);

export const listModelsSchema = named(
  z.strictObject({ type: z.literal('list-models') }),
  'ListModels',
);

export const statusQuerySchema = named(
  z.strictObject({ type: z.literal('status') }),
  'StatusQuery',
);

export const importModelSchema = named(
  z
    .strictObject({
      type: z.literal('import-model'),
      id: jobIdSchema,
      source: z
        .string()
        .min(1)
        .max(255)
        .regex(/^[^/\\]+$/)
        .describe("A file in the bridge's checkpoints folder (capabilities.checkpoints[].name); never a path."),
      name: z
        .string()
        .min(1)
        .max(128)
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
        .optional()
        .describe('Name to install the model under; default: the file name without its extension.'),
    })
    .describe('Import a .safetensors/.ckpt checkpoint into the model store, as a job on the queue.'),
  'ImportModel',
);

export const clientMessageSchema = named(
  z
    .discriminatedUnion('type', [helloSchema, generateSchema, cancelSchema, listModelsSchema, statusQuerySchema, importModelSchema]),
  'ClientMessage',
);

export type HelloMessage = z.output<typeof helloSchema>;
export type GenerateMessage = z.output<typeof generateSchema>;
/** What a sender may write: the optional fields with defaults may be left out. */
export type GenerateMessageInput = z.input<typeof generateSchema>;
export type CancelMessage = z.output<typeof cancelSchema>;
export type ListModelsMessage = z.output<typeof listModelsSchema>;
export type StatusQueryMessage = z.output<typeof statusQuerySchema>;
export type ImportModelMessage = z.output<typeof importModelSchema>;
export type LoraRequest = z.output<typeof loraRequestSchema>;
export type ClientMessage = z.output<typeof clientMessageSchema>;
export type ClientMessageInput = z.input<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
export type FrameRef = z.output<typeof frameRefSchema>;
export type Expand = z.output<typeof expandSchema>;
export type Variation = z.output<typeof variationSchema>;
export type Animation = z.output<typeof animationSchema>;
export type PromptEntry = z.output<typeof promptEntrySchema>;

export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ['hello', 'generate', 'cancel', 'list-models', 'status', 'import-model'];
