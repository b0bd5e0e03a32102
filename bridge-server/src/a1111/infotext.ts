/**
 * A1111's infotext: the "parameters" text of every image (processing.create_infotext) and its
 * reader (infotext_utils.parse_generation_parameters, what /png-info answers with).
 */
import { parsePromptAttention, usesEmphasis } from './prompt-attention.js';

/** A value as Python's str() prints it: floats keep their ".0", booleans are True/False. */
export type InfoValue = string | { int: number } | { float: number } | boolean;

export const pyInt = (n: number): InfoValue => ({ int: n });
export const pyFloat = (n: number): InfoValue => ({ float: n });

/** Python's repr of a float (1 → "1.0", 0.75 → "0.75", 1e-7 → "1e-07"). */
export function pythonFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

export function infoString(v: InfoValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if ('int' in v) return String(v.int);
  return pythonFloat(v.float);
}

/** infotext_utils.quote: values with a comma, newline or colon are written as JSON strings. */
export function quote(text: string): string {
  if (!text.includes(',') && !text.includes('\n') && !text.includes(':')) return text;
  return JSON.stringify(text);
}

/**
 * Generation parameters in A1111's key order. `set` on a key already present keeps its place and
 * replaces the value (a Python dict), undefined/null values are left out when written.
 */
export class GenerationParams {
  private readonly entries = new Map<string, InfoValue | undefined>();

  set(key: string, value: InfoValue | undefined | null): this {
    this.entries.set(key, value ?? undefined);
    return this;
  }

  get(key: string): InfoValue | undefined {
    return this.entries.get(key);
  }

  entriesList(): Array<[string, InfoValue | undefined]> {
    return [...this.entries];
  }

  /** Another params' entries after these (create_infotext's **p.extra_generation_params). */
  merge(extra: GenerationParams): GenerationParams {
    const out = new GenerationParams();
    for (const [k, v] of this.entries) out.set(k, v);
    for (const [k, v] of extra.entries) out.set(k, v);
    return out;
  }

  text(): string {
    const parts: string[] = [];
    for (const [k, v] of this.entries) {
      if (v === undefined) continue;
      parts.push(`${k}: ${quote(infoString(v))}`);
    }
    return parts.join(', ');
  }
}

/** create_infotext's final assembly: prompt, "Negative prompt: …" when there is one, parameters. */
export function infotext(prompt: string, negative: string, params: GenerationParams): string {
  const neg = negative ? `\nNegative prompt: ${negative}` : '';
  return `${prompt}${neg}\n${params.text()}`.trim();
}

const RE_PARAM = /\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;
const RE_IMAGESIZE = /^(\d+)x(\d+)$/;

export type ParsedValue = string | number | boolean | string[];

/**
 * parse_generation_parameters: the prompt lines, "Negative prompt:" lines, and the last line's
 * "Key: value" pairs (sizes split into key-1/key-2), with A1111's defaults for what an infotext
 * leaves out. Values stay strings, as A1111 returns them.
 */
export function parseGenerationParameters(x: string): Record<string, ParsedValue> {
  const res: Record<string, ParsedValue> = {};
  const lines = x.trim().split('\n');
  let lastline = lines.pop() ?? '';
  if ([...lastline.matchAll(RE_PARAM)].length < 3) {
    lines.push(lastline);
    lastline = '';
  }
  let prompt = '';
  let negative = '';
  let doneWithPrompt = false;
  for (let line of lines) {
    line = line.trim();
    if (line.startsWith('Negative prompt:')) {
      doneWithPrompt = true;
      line = line.slice(16).trim();
    }
    if (doneWithPrompt) negative += (negative === '' ? '' : '\n') + line;
    else prompt += (prompt === '' ? '' : '\n') + line;
  }
  for (const m of lastline.matchAll(RE_PARAM)) {
    const k = m[1] as string;
    let v = m[2] ?? '';
    // A1111 reads v[0] and skips the key with an error when the value is empty.
    if (v === '') continue;
    if (v.length > 1 && v.startsWith('"') && v.endsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        // A1111 keeps the text as it was when it is not JSON.
      }
    }
    const size = RE_IMAGESIZE.exec(v);
    if (size !== null) {
      res[`${k}-1`] = size[1] as string;
      res[`${k}-2`] = size[2] as string;
    } else {
      res[k] = v;
    }
  }
  res['Prompt'] = prompt;
  res['Negative prompt'] = negative;
  const defaults: Array<[string, ParsedValue]> = [
    ['Clip skip', '1'],
    ['Hires sampler', 'Use same sampler'],
    ['Hires schedule type', 'Use same scheduler'],
    ['Hires checkpoint', 'Use same checkpoint'],
    ['Hires prompt', ''],
    ['Hires negative prompt', ''],
    ['Mask mode', 'Inpaint masked'],
    ['Masked content', 'original'],
    ['Inpaint area', 'Whole picture'],
    ['Masked area padding', 32],
    ['RNG', 'GPU'],
    ['Schedule type', 'Automatic'],
    ['Schedule max sigma', 0],
    ['Schedule min sigma', 0],
    ['Schedule rho', 0],
    ['VAE Encoder', 'Full'],
    ['VAE Decoder', 'Full'],
    ['FP8 weight', 'Disable'],
  ];
  if (!('Hires resize-1' in res)) {
    res['Hires resize-1'] = 0;
    res['Hires resize-2'] = 0;
  }
  for (const [k, v] of defaults) if (!(k in res)) res[k] = v;
  if (!('Cache FP16 weight for LoRA' in res) && res['FP8 weight'] !== 'Disable') res['Cache FP16 weight for LoRA'] = false;
  const emphasis = usesEmphasis([...parsePromptAttention(prompt), ...parsePromptAttention(negative)]);
  if (!('Emphasis' in res) && emphasis) res['Emphasis'] = 'Original';
  if (!('Refiner switch by sampling steps' in res)) res['Refiner switch by sampling steps'] = false;
  return res;
}
