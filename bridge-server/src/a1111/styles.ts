/**
 * Prompt styles as A1111 keeps them (modules/styles.py): a styles.csv with name, prompt and
 * negative_prompt columns, in the bridge's config dir. A style's prompt with "{prompt}" wraps the
 * user's prompt; otherwise it is appended after ", ". A style name that is not in the file is
 * refused (A1111 would silently apply nothing).
 */
import { readFile } from 'node:fs/promises';
import { httpException } from './errors.js';

export interface PromptStyle {
  name: string;
  prompt: string;
  negative_prompt: string;
}

/** RFC 4180 rows, with csv.DictReader(skipinitialspace=True)'s leading-space rule. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let atFieldStart = true;
  const endField = () => {
    row.push(field);
    field = '';
    atFieldStart = true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
      continue;
    }
    if (atFieldStart && c === ' ') continue;
    if (atFieldStart && c === '"') {
      quoted = true;
      atFieldStart = false;
      continue;
    }
    atFieldStart = false;
    if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** A styles.csv's styles in file order; a missing file is no styles. */
export async function loadStyles(file: string): Promise<PromptStyle[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (header === undefined) return [];
  const col = (name: string) => header.indexOf(name);
  const nameCol = col('name');
  const promptCol = col('prompt') >= 0 ? col('prompt') : col('text');
  const negCol = col('negative_prompt');
  const styles: PromptStyle[] = [];
  for (const r of rows) {
    const name = r[nameCol] ?? '';
    if (name === '' || name.startsWith('#')) continue;
    styles.push({ name, prompt: r[promptCol] ?? '', negative_prompt: negCol >= 0 ? (r[negCol] ?? '') : '' });
  }
  return styles;
}

/** styles.merge_prompts */
export function mergePrompts(stylePrompt: string, prompt: string): string {
  if (stylePrompt.includes('{prompt}')) return stylePrompt.replaceAll('{prompt}', prompt);
  return [prompt.trim(), stylePrompt.trim()].filter((p) => p !== '').join(', ');
}

/** The styles a request names, in its order; an unknown name is a 422 like a missing script. */
export function pickStyles(all: readonly PromptStyle[], names: readonly string[]): PromptStyle[] {
  return names.map((n) => {
    const s = all.find((x) => x.name === n);
    if (s === undefined) throw httpException(422, `Style '${n}' not found (GET /sdapi/v1/prompt-styles lists ${all.length === 0 ? 'none' : all.map((x) => x.name).join(', ')})`);
    return s;
  });
}

export function applyStyles(prompt: string, styles: readonly PromptStyle[]): string {
  return styles.reduce((p, s) => mergePrompts(s.prompt, p), prompt);
}

export function applyNegativeStyles(negative: string, styles: readonly PromptStyle[]): string {
  return styles.reduce((p, s) => mergePrompts(s.negative_prompt, p), negative);
}

function extractStyleText(styleText: string, prompt: string): string | undefined {
  const p = prompt.trim();
  const s = styleText.trim();
  if (s.includes('{prompt}')) {
    const at = s.indexOf('{prompt}');
    const left = s.slice(0, at);
    const right = s.slice(at + '{prompt}'.length);
    if (p.startsWith(left) && p.endsWith(right)) return p.slice(left.length, p.length - right.length);
    return undefined;
  }
  if (!p.endsWith(s)) return undefined;
  const rest = p.slice(0, p.length - s.length);
  return rest.endsWith(', ') ? rest.slice(0, -2) : rest;
}

/** StyleDatabase.extract_styles_from_prompt: the styles a prompt pair was made with, and the bare prompts. */
export function extractStyles(all: readonly PromptStyle[], prompt: string, negative: string): { styles: string[]; prompt: string; negative: string } {
  const found: string[] = [];
  const left = [...all];
  for (;;) {
    let hit: PromptStyle | undefined;
    for (const s of left) {
      if (!s.prompt && !s.negative_prompt) continue;
      const p = extractStyleText(s.prompt, prompt);
      if (p === undefined) continue;
      const n = extractStyleText(s.negative_prompt, negative);
      if (n === undefined) continue;
      hit = s;
      prompt = p;
      negative = n;
      break;
    }
    if (hit === undefined) break;
    left.splice(left.indexOf(hit), 1);
    found.push(hit.name);
  }
  return { styles: found.reverse(), prompt, negative };
}
