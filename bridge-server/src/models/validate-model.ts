/**
 * Checks a model folder file by file and reports every problem with the path at fault, so a user
 * knows exactly which download to redo instead of getting onnxruntime's first complaint.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  COMPONENT_INPUTS,
  COMPONENTS,
  componentModelPath,
  MODEL_INDEX,
  OPTIONAL_JSON_FILES,
  REQUIRED_COMPONENTS,
  SCHEDULER_CONFIG,
  SDXL_UNET_INPUTS,
  TOKENIZER_2_DIR,
  TOKENIZER_MERGES,
  TOKENIZER_VOCAB,
  type ComponentName,
  type ModelProblem,
  type ModelProblemKind,
} from './model-layout.js';
import { readOnnxOutline, type OnnxOutline } from './onnx-reader.js';
import { ProtobufError } from './protobuf-reader.js';

export interface FolderScan {
  dir: string;
  problems: ModelProblem[];
  /** Outlines of the component graphs that parsed. */
  outlines: Partial<Record<ComponentName, OnnxOutline>>;
  /** Parsed JSON files by relative path (only those that exist and parse). */
  json: Map<string, unknown>;
}

async function fileSize(p: string): Promise<number | undefined> {
  const s = await stat(p).catch(() => undefined);
  return s?.isFile() ? s.size : undefined;
}

async function isDirectory(p: string): Promise<boolean> {
  const s = await stat(p).catch(() => undefined);
  return s?.isDirectory() ?? false;
}

class ProblemList {
  readonly items: ModelProblem[] = [];
  constructor(private readonly dir: string) {}

  add(kind: ModelProblemKind, file: string, message: string): void {
    this.items.push({ kind, path: path.join(this.dir, file), file, message: `${file}: ${message}` });
  }
}

async function checkJson(
  dir: string,
  file: string,
  required: boolean,
  problems: ProblemList,
  json: Map<string, unknown>,
): Promise<void> {
  const full = path.join(dir, file);
  if ((await fileSize(full)) === undefined) {
    if (required) problems.add('missing_file', file, 'missing');
    return;
  }
  const text = await readFile(full, 'utf8');
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.add('invalid_json', file, 'is not a JSON object');
      return;
    }
    json.set(file, value);
  } catch (err) {
    problems.add('invalid_json', file, `is not valid JSON (${(err as Error).message})`);
  }
}

function describeDims(dims: Array<number | string> | undefined): string {
  return dims === undefined ? 'unknown shape' : `[${dims.join(',')}]`;
}

/** External data must stay in the model's folder (onnxruntime refuses anything else). */
function escapesFolder(location: string): boolean {
  if (location === '' || path.isAbsolute(location) || /^[a-zA-Z]:/.test(location)) return true;
  return location.split(/[\\/]/).includes('..');
}

async function checkOnnx(
  dir: string,
  component: ComponentName,
  problems: ProblemList,
  sdxl: boolean,
): Promise<OnnxOutline | undefined> {
  const file = componentModelPath(component);
  const full = path.join(dir, file);
  let outline: OnnxOutline;
  try {
    outline = await readOnnxOutline(full);
  } catch (err) {
    if (err instanceof ProtobufError) {
      problems.add('invalid_onnx', file, `is not a valid ONNX model: ${err.message}`);
      return undefined;
    }
    throw err;
  }

  const sizes = new Map<string, number | undefined>();
  for (const ref of outline.externalData) {
    const refFile = `${component}/${ref.location.replace(/\\/g, '/')}`;
    if (escapesFolder(ref.location)) {
      const detail = `tensor "${ref.tensor}" points outside the model folder ("${ref.location}")`;
      problems.add('bad_external_data_location', file, detail);
      continue;
    }
    if (!sizes.has(refFile)) sizes.set(refFile, await fileSize(path.join(dir, refFile)));
    const size = sizes.get(refFile);
    if (size === undefined) {
      // One report per missing file, not one per tensor stored in it.
      if (!problems.items.some((p) => p.file === refFile && p.kind === 'missing_external_data')) {
        problems.add('missing_external_data', refFile, `missing (external weights of ${file})`);
      }
    } else if (ref.length !== undefined && size < ref.offset + ref.length) {
      if (!problems.items.some((p) => p.file === refFile && p.kind === 'short_external_data')) {
        problems.add(
          'short_external_data',
          refFile,
          `is ${size} bytes but tensor "${ref.tensor}" needs bytes up to ${ref.offset + ref.length} ` +
            '(incomplete download?)',
        );
      }
    }
  }

  const inputs = component === 'unet' && sdxl ? [...COMPONENT_INPUTS.unet, ...SDXL_UNET_INPUTS] : COMPONENT_INPUTS[component];
  for (const expected of inputs) {
    const input = outline.inputs.find((i) => i.name === expected.name);
    if (input === undefined) {
      const have = outline.inputs.map((i) => `"${i.name}"`).join(', ') || 'none';
      const detail = `graph has no input "${expected.name}" (it has ${have}); is this a ${component} model?`;
      problems.add('signature_mismatch', file, detail);
    } else if (input.dims !== undefined && !expected.ranks.includes(input.dims.length)) {
      problems.add(
        'signature_mismatch',
        file,
        `input "${expected.name}" has rank ${input.dims.length} ${describeDims(input.dims)}, ` +
          `expected rank ${expected.ranks.join(' or ')}`,
      );
    }
  }
  return outline;
}

/** model_index.json names an SDXL pipeline (StableDiffusionXLPipeline, ORTStableDiffusionXLPipeline, ...). */
export function isSdxlIndex(index: unknown): boolean {
  if (typeof index !== 'object' || index === null) return false;
  const name = (index as Record<string, unknown>)['_class_name'];
  return (typeof name === 'string' && name.includes('XL')) || 'text_encoder_2' in index;
}

export async function scanModelFolder(dirIn: string): Promise<FolderScan> {
  const dir = path.resolve(dirIn);
  const problems = new ProblemList(dir);
  const json = new Map<string, unknown>();
  const outlines: Partial<Record<ComponentName, OnnxOutline>> = {};
  if (!(await isDirectory(dir))) {
    problems.add('missing_file', '.', 'the model folder does not exist');
    return { dir, problems: problems.items, outlines, json };
  }

  await checkJson(dir, MODEL_INDEX, true, problems, json);
  await checkJson(dir, SCHEDULER_CONFIG, true, problems, json);
  for (const file of OPTIONAL_JSON_FILES) await checkJson(dir, file, false, problems, json);
  await checkJson(dir, TOKENIZER_VOCAB, true, problems, json);
  if ((await fileSize(path.join(dir, TOKENIZER_MERGES))) === undefined) {
    problems.add('missing_file', TOKENIZER_MERGES, 'missing');
  }

  const sdxl = isSdxlIndex(json.get(MODEL_INDEX)) || (await isDirectory(path.join(dir, 'text_encoder_2')));
  if (sdxl) {
    for (const file of ['vocab.json', 'merges.txt'].map((f) => `${TOKENIZER_2_DIR}/${f}`)) {
      if ((await fileSize(path.join(dir, file))) === undefined) problems.add('missing_file', file, 'missing (SDXL needs its second tokenizer)');
    }
  }
  for (const component of COMPONENTS) {
    const file = componentModelPath(component);
    const present = (await fileSize(path.join(dir, file))) !== undefined;
    if (!present) {
      // A vae_encoder folder without its model is a broken download, not an intentional omission.
      const required =
        REQUIRED_COMPONENTS.includes(component) ||
        (component === 'text_encoder_2' && sdxl) ||
        (await isDirectory(path.join(dir, component)));
      if (required) problems.add('missing_file', file, 'missing');
      continue;
    }
    const outline = await checkOnnx(dir, component, problems, sdxl);
    if (outline !== undefined) outlines[component] = outline;
  }
  return { dir, problems: problems.items, outlines, json };
}

/** Every problem found in a model folder; an empty list means it should load. */
export async function validateModelFolder(dir: string): Promise<ModelProblem[]> {
  return (await scanModelFolder(dir)).problems;
}
