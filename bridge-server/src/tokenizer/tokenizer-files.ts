/**
 * Reading and validating a diffusers `tokenizer/` folder: vocab.json, merges.txt and the optional
 * special_tokens_map.json / tokenizer_config.json. Every problem becomes a `tokenizer_invalid`
 * BridgeError whose field is the file (or fromData argument) at fault.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tokenizerInvalid as invalid } from './invalid.js';
import { parseMergesFile } from './merges-text.js';
import type { SpanTable } from './span-table.js';
import { type Vocabulary, parseVocabJson } from './vocab-json.js';

export const VOCAB_FILE = 'vocab.json';
export const MERGES_FILE = 'merges.txt';
export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/** CLIPTokenizer's defaults; SD1.x keeps them, SD2.x/SDXL's second encoder sets pad to "!". */
export const DEFAULT_SPECIAL_TOKENS = {
  bos: '<|startoftext|>',
  eos: '<|endoftext|>',
  unk: '<|endoftext|>',
  pad: '<|endoftext|>',
} as const;

export type SpecialTokenRole = keyof typeof DEFAULT_SPECIAL_TOKENS;

export const DEFAULT_MAX_LENGTH = 77;

// HF stores "no limit" as int(1e30); a CLIP text encoder has 77 positions, so treat it as unset.
const UNSET_MAX_LENGTH_ABOVE = 1_000_000;

/** A special token's text and the file (or argument) that named it, for error fields. */
export interface SpecialTokenSource {
  readonly token: string;
  readonly from: string;
}

export interface TokenizerFolderData {
  readonly vocab: Vocabulary;
  readonly merges: SpanTable;
  readonly special: Record<SpecialTokenRole, SpecialTokenSource>;
  readonly maxLength: number;
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalid(field, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(field, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

/** A special token entry is either a plain string or an AddedToken object with `content`. */
function tokenText(value: unknown, field: string, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const content = (value as Record<string, unknown>)['content'];
    if (typeof content === 'string') return content;
  }
  throw invalid(field, `${key} must be a string or an object with a string "content"`);
}

function readMaxLength(config: Record<string, unknown>, field: string): number {
  const value = config['model_max_length'];
  if (value === undefined || value === null) return DEFAULT_MAX_LENGTH;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 3 || !Number.isInteger(value)) {
    throw invalid(field, `model_max_length ${String(value)} is not an integer >= 3`);
  }
  return value > UNSET_MAX_LENGTH_ABOVE ? DEFAULT_MAX_LENGTH : value;
}

async function readOptional(path: string, field: string): Promise<string | undefined> {
  try {
    // One-shot decode of the whole buffer; readFile(path, 'utf8') decodes in chunks and is slower.
    return (await readFile(path)).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalid(field, `cannot read ${path} (${err instanceof Error ? err.message : String(err)})`);
  }
}

async function readRequired(path: string, field: string): Promise<string> {
  const text = await readOptional(path, field);
  if (text === undefined) throw invalid(field, `missing file ${path}`);
  return text;
}

export async function readTokenizerFolder(dir: string): Promise<TokenizerFolderData> {
  const [vocabText, mergesText, mapText, configText] = await Promise.all([
    readRequired(join(dir, VOCAB_FILE), VOCAB_FILE),
    readRequired(join(dir, MERGES_FILE), MERGES_FILE),
    readOptional(join(dir, SPECIAL_TOKENS_MAP_FILE), SPECIAL_TOKENS_MAP_FILE),
    readOptional(join(dir, TOKENIZER_CONFIG_FILE), TOKENIZER_CONFIG_FILE),
  ]);
  const vocab = parseVocabJson(vocabText, VOCAB_FILE);
  const merges = parseMergesFile(mergesText, MERGES_FILE);
  const config =
    configText === undefined ? {} : asObject(parseJson(configText, TOKENIZER_CONFIG_FILE), TOKENIZER_CONFIG_FILE);
  const map =
    mapText === undefined ? {} : asObject(parseJson(mapText, SPECIAL_TOKENS_MAP_FILE), SPECIAL_TOKENS_MAP_FILE);

  // HF's from_pretrained lets special_tokens_map.json override tokenizer_config.json.
  const special = {} as Record<SpecialTokenRole, SpecialTokenSource>;
  for (const role of Object.keys(DEFAULT_SPECIAL_TOKENS) as SpecialTokenRole[]) {
    const key = `${role}_token`;
    const fromMap = tokenText(map[key], SPECIAL_TOKENS_MAP_FILE, key);
    const fromConfig = tokenText(config[key], TOKENIZER_CONFIG_FILE, key);
    special[role] =
      fromMap !== undefined
        ? { token: fromMap, from: SPECIAL_TOKENS_MAP_FILE }
        : fromConfig !== undefined
          ? { token: fromConfig, from: TOKENIZER_CONFIG_FILE }
          : { token: DEFAULT_SPECIAL_TOKENS[role], from: VOCAB_FILE };
  }
  return { vocab, merges, special, maxLength: readMaxLength(config, TOKENIZER_CONFIG_FILE) };
}

/** Looks a special token up; a token missing from the vocabulary is an error of the file naming it. */
export function specialTokenId(vocab: Vocabulary, role: SpecialTokenRole, source: SpecialTokenSource): number {
  const id = vocab.get(source.token);
  if (id === undefined) {
    throw invalid(source.from, `${role} token ${JSON.stringify(source.token)} is not in the vocabulary`);
  }
  return id;
}
