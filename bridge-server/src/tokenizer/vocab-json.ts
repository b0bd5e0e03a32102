/**
 * vocab.json (token -> id). The file is one flat JSON object of ~49k entries; it is indexed in
 * place (see span-table.ts) rather than parsed into objects. Anything the scanner does not
 * recognise goes through JSON.parse, so odd but valid files still load and invalid ones get
 * JSON.parse's message.
 */
import { tokenizerInvalid } from './invalid.js';
import { SpanList, SpanTable } from './span-table.js';

/** What the tokenizer needs from a vocabulary; a Map<string, number> is one. */
export interface Vocabulary {
  get(token: string): number | undefined;
  readonly size: number;
  entries(): IterableIterator<[string, number]>;
}

/** Validates an already parsed vocabulary object (also used by ClipTokenizer.fromData). */
export function vocabFromObject(value: unknown, field: string): Vocabulary {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw tokenizerInvalid(field, 'expected a JSON object of token -> id');
  }
  const entries = value as Record<string, unknown>;
  const vocab = new Map<string, number>();
  for (const token in entries) {
    const id = entries[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw tokenizerInvalid(field, `token ${JSON.stringify(token)} has id ${String(id)}, expected an integer >= 0`);
    }
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw tokenizerInvalid(field, 'vocabulary is empty');
  return vocab;
}

export function parseVocabJson(text: string, field: string): Vocabulary {
  const scanned = scanFlatIntegerObject(text);
  if (scanned !== undefined && scanned.size > 0) return scanned;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw tokenizerInvalid(field, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return vocabFromObject(parsed, field);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
// Ids must fit the Int32Array of the table (and an int32 input tensor).
const MAX_ID_DIGITS = 9;

function skipJsonSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/**
 * `{"token": 123, ...}` with non-negative integer values, or undefined for anything else. Keys
 * with escapes are decoded by JSON.parse and appended after the file text, so every key is a span.
 */
function scanFlatIntegerObject(text: string): SpanTable | undefined {
  // CLIP's vocab.json averages about 17 characters per entry.
  const spans = new SpanList(text.length / 12);
  let decoded = '';
  let i = skipJsonSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN) return undefined;
  i = skipJsonSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE) return undefined;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    let end = i + 1;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(end);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        end += 2;
        continue;
      }
      if (!(c >= 0x20)) return undefined; // raw control character, or NaN past the end
      end++;
    }
    let keyStart = i + 1;
    let keyEnd = end;
    if (escaped) {
      let key: string;
      try {
        key = JSON.parse(text.slice(i, end + 1)) as string;
      } catch {
        return undefined;
      }
      keyStart = text.length + decoded.length;
      keyEnd = keyStart + key.length;
      decoded += key;
    }
    i = skipJsonSpace(text, end + 1);
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = skipJsonSpace(text, i + 1);
    const digitsStart = i;
    let value = 0;
    for (let c = text.charCodeAt(i); c >= DIGIT_0 && c <= DIGIT_9; c = text.charCodeAt(++i)) {
      value = value * 10 + (c - DIGIT_0);
    }
    const digits = i - digitsStart;
    if (digits === 0 || digits > MAX_ID_DIGITS || (digits > 1 && text.charCodeAt(digitsStart) === DIGIT_0)) {
      return undefined;
    }
    spans.push(keyStart, keyEnd, value);
    i = skipJsonSpace(text, i);
    const next = text.charCodeAt(i);
    if (next === COMMA) {
      i = skipJsonSpace(text, i + 1);
    } else if (next === CLOSE) {
      if (skipJsonSpace(text, i + 1) !== text.length) return undefined;
      return new SpanTable(decoded.length > 0 ? text + decoded : text, spans);
    } else {
      return undefined;
    }
  }
}
