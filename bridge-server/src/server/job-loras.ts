/**
 * LoRAs in a generate: `loras` entries and `<lora:NAME:w>` tags in the prompt and negative prompt
 * are found in the LoRA folder when the job is prepared (unknown names, a LoRA for another family
 * and bad tags fail before the job waits its turn; tags leave the text CLIP sees), and merged into
 * the model when it runs: the merged UNet / text-encoder copies are cached on disk per set and the
 * loaded model per set in the model cache, so re-running a set costs nothing.
 */
import { BridgeError } from '@latent-bridge/shared';
import { extractLoraTags } from '../lora/prompt-tags.js';
import { mergeLoraSet, type ComponentFiles } from '../lora/runtime-merge.js';
import type { ModelFamily } from '../models/families.js';
import type { ModelInfo } from '../models/index.js';
import type { LoraFileEntry, LoraSource } from './lora-folder.js';

export interface JobLora {
  entry: LoraFileEntry;
  te: number;
  unet: number;
  /** The name as the client wrote it (a file stem or an alias) and the field it came from. */
  asked: string;
  field: string;
}

export interface JobLoras {
  folder: LoraSource;
  loras: JobLora[];
  /** The request's `loras` field as the client wrote it: a queue front sends it on to the worker. */
  requested: Array<{ name: string; weight: number }>;
  /** The prompts as the client wrote them (tags included), for the parameters text, as A1111 keeps them. */
  original: { prompt: string; negative: string };
}

const FAMILY_NAMES: Readonly<Record<ModelFamily, string>> = { sd1: 'SD 1.x', sd2: 'SD 2.x', sdxl: 'SDXL' };

interface LoraRequest {
  prompt: string;
  negative: string;
  loras?: ReadonlyArray<{ name: string; weight: number }> | undefined;
}

async function found(folder: LoraSource | undefined, model: ModelInfo, name: string, field: string): Promise<LoraFileEntry> {
  if (folder === undefined) throw new BridgeError('model_not_found', `${field}: no LoRA "${name}": this bridge has no LoRA folder (start it with --loras DIR).`, field);
  const entry = await folder.find(name, field);
  if (entry.family !== undefined && entry.family !== model.family) {
    throw new BridgeError('invalid_field', `${field}: LoRA "${name}" is for ${FAMILY_NAMES[entry.family]} models; "${model.name}" is ${FAMILY_NAMES[model.family]}.`, field);
  }
  return entry;
}

/** The prompts without tags and the LoRAs the job applies; undefined `loras` when it applies none. */
export async function resolveJobLoras(folder: LoraSource | undefined, model: ModelInfo, req: LoraRequest): Promise<{ prompt: string; negative: string; loras: JobLoras | undefined }> {
  const positive = extractLoraTags(req.prompt, 'prompt');
  const negative = extractLoraTags(req.negative, 'negative');
  const loras: JobLora[] = [];
  for (const [i, l] of (req.loras ?? []).entries()) loras.push({ entry: await found(folder, model, l.name, `loras.${i}.name`), te: l.weight, unet: l.weight, asked: l.name, field: `loras.${i}.name` });
  for (const [field, tags] of [['prompt', positive.tags], ['negative', negative.tags]] as const) {
    for (const tag of tags) loras.push({ entry: await found(folder, model, tag.name, field), te: tag.te, unet: tag.unet, asked: tag.name, field });
  }
  return {
    prompt: positive.text,
    negative: negative.text,
    loras: loras.length === 0 || folder === undefined ? undefined : { folder, loras, requested: (req.loras ?? []).map((l) => ({ name: l.name, weight: l.weight })), original: { prompt: req.prompt, negative: req.negative } },
  };
}

/** The model with the job's LoRAs merged, and A1111's `Lora hashes` field for its images. */
export async function applyJobLoras(info: ModelInfo, job: JobLoras): Promise<{ info: ModelInfo; fields: Record<string, string>; warnings: string[] }> {
  const files: ComponentFiles = { unet: info.components.unet, text_encoder: info.components.textEncoder };
  if (info.components.textEncoder2 !== undefined) files.text_encoder_2 = info.components.textEncoder2;
  const merged = await mergeLoraSet(
    files,
    job.loras.map((l) => ({ file: l.entry.path, weight: l.unet, componentWeights: { unet: l.unet, text_encoder: l.te, text_encoder_2: l.te }, label: l.entry.name })),
  );
  const hashes: string[] = [];
  for (const l of job.loras) {
    const line = `${l.entry.name}: ${await job.folder.shortHash(l.entry)}`;
    if (!hashes.includes(line)) hashes.push(line);
  }
  const components = {
    ...info.components,
    unet: merged.files.unet ?? info.components.unet,
    textEncoder: merged.files.text_encoder ?? info.components.textEncoder,
    textEncoder2: merged.files.text_encoder_2 ?? info.components.textEncoder2,
  };
  return { info: { ...info, components }, fields: { 'Lora hashes': hashes.join(', ') }, warnings: merged.warnings };
}
