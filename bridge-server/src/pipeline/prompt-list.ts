/**
 * Prompt list files for `latent-bridge batch`: one prompt per line, or a JSON object per line with
 * per-line parameters ({"prompt": "...", "seed": 3, "steps": 20, ...}). Blank lines and lines
 * starting with # are skipped. Errors name the line (1-based) and, where known, the character.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import type { LoadedModel } from './loaded-model.js';
import type { GenerateParams } from './params.js';
import { parsePromptField, PromptSyntaxError } from './prompt-syntax.js';
import { txt2img, type GenerateResult, type RunOptions } from './txt2img.js';

export interface PromptListEntry {
  /** 1-based line number in the file. */
  line: number;
  params: GenerateParams;
}

const LINE_FIELDS = new Set([
  'prompt',
  'negative',
  'steps',
  'guidance',
  'scheduler',
  'seed',
  'width',
  'height',
  'seedMode',
  'longPrompt',
  'variation',
  'mixMode',
]);

export function parsePromptList(text: string, field = 'file'): PromptListEntry[] {
  const entries: PromptListEntry[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const params = trimmed.startsWith('{') ? jsonLine(trimmed, line, field) : { prompt: trimmed };
    for (const name of ['prompt', 'negative'] as const) {
      const value = params[name];
      if (value === undefined) continue;
      try {
        parsePromptField(value, name);
      } catch (err) {
        if (err instanceof PromptSyntaxError) throw new BridgeError('prompt_syntax', `${field} line ${line}: ${err.message}`, field);
        throw err;
      }
    }
    entries.push({ line, params });
  }
  if (entries.length === 0) throw invalidField(field, 'the prompt list is empty (no lines besides blank lines and # comments)');
  return entries;
}

function jsonLine(text: string, line: number, field: string): GenerateParams {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(message)?.[1];
    const where = at === undefined ? '' : `, character ${Number(at) + 1}`;
    throw invalidField(field, `line ${line}${where}: not valid JSON (${message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidField(field, `line ${line}: a JSON line must be an object like {"prompt": "..."}`);
  }
  for (const key of Object.keys(value)) {
    if (!LINE_FIELDS.has(key)) throw invalidField(field, `line ${line}: unknown field "${key}" (known: ${[...LINE_FIELDS].join(', ')})`);
  }
  const params = value as Record<string, unknown>;
  if (typeof params['prompt'] !== 'string' || params['prompt'].trim() === '') {
    throw invalidField(field, `line ${line}: "prompt" must be a non-empty string`);
  }
  return params as unknown as GenerateParams;
}

/** One entry's outcome in a prompt batch. */
export interface PromptBatchItem {
  entry: PromptListEntry;
  index: number;
  result: GenerateResult;
}

/**
 * Generates the entries one after another (one image each; a line's own fields override the
 * defaults), yielding each result as soon as it exists: the CLI writes files from it, the server
 * can send one result per entry.
 */
export async function* generatePromptBatch(
  model: LoadedModel,
  entries: readonly PromptListEntry[],
  defaults: Omit<GenerateParams, 'prompt'>,
  options: RunOptions = {},
): AsyncGenerator<PromptBatchItem> {
  for (const [index, entry] of entries.entries()) {
    yield { entry, index, result: await txt2img(model, { ...defaults, ...entry.params, batch: 1 }, options) };
  }
}
