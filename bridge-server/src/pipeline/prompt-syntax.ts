/**
 * The prompt weighting syntax users know from A1111 / ComfyUI, with strict errors instead of their
 * silent repairs:
 *   (text)        weight ×1.1          ((text)) ×1.21, nesting multiplies
 *   [text]        weight ÷1.1
 *   (text:1.3)    weight exactly ×1.3 (times the enclosing groups)
 *   \( \) \[ \] \: \| \\   the character itself
 *   BREAK         ends the current 75-token chunk (long-prompt 'chunk' mode)
 * and mixed prompts, split on a top-level `|`:  "a frog :0.7 | a stilt house :0.3".
 * Errors are BridgeError('prompt_syntax') carrying the 0-based position; messages say the 1-based
 * character and quote the text around it.
 */
import { BridgeError } from '@latent-bridge/shared';

/** A run of prompt text with the weight its tokens get. */
export interface WeightedText {
  text: string;
  weight: number;
}

/** The parsed prompt: text runs in order, `'BREAK'` where a chunk must end. */
export type PromptPiece = WeightedText | 'BREAK';

/** One prompt of a mix ("text :weight"), with where its text starts in the whole field. */
export interface MixPart {
  text: string;
  weight: number;
  start: number;
}

export const ROUND_MULTIPLIER = 1.1;
export const SQUARE_MULTIPLIER = 1 / 1.1;

/** A prompt syntax error; `position` is the 0-based index into the field's text. */
export class PromptSyntaxError extends BridgeError {
  readonly position: number;

  constructor(field: string, source: string, position: number, problem: string, hint?: string) {
    const help = hint === undefined ? '' : ` (${hint})`;
    super('prompt_syntax', `${field}: ${problem} at character ${position + 1}: ${excerpt(source, position)}${help}`, field);
    this.position = position;
  }
}

/** The text around a position with a ⟨here⟩ marker, short enough for a status line. */
function excerpt(source: string, position: number): string {
  const from = Math.max(0, position - 20);
  const to = Math.min(source.length, position + 20);
  return `"${from > 0 ? '…' : ''}${source.slice(from, position)}⟨here⟩${source.slice(position, to)}${to < source.length ? '…' : ''}"`;
}

const ESCAPABLE = new Set(['(', ')', '[', ']', ':', '|', '\\']);
const NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?/iy;
const BREAK_WORD = /\s*\bBREAK\b\s*/;

interface Group {
  kind: '(' | '[';
  at: number;
  /** Index of the first piece inside the group. */
  first: number;
}

/**
 * Parses the weight syntax of one prompt (no top-level `|`; see splitMixedPrompt). `offset` is
 * where `text` starts inside `source`, so positions in errors are those of the whole field.
 */
export function parsePromptWeights(text: string, field = 'prompt', source = text, offset = 0): PromptPiece[] {
  const fail = (at: number, problem: string, hint?: string): never => {
    throw new PromptSyntaxError(field, source, offset + at, problem, hint);
  };
  const pieces: PromptPiece[] = [];
  const stack: Group[] = [];
  let buffer = '';

  const flush = () => {
    if (buffer === '') return;
    const parts = buffer.split(BREAK_WORD);
    parts.forEach((part, i) => {
      if (i > 0) pieces.push('BREAK');
      if (part !== '') pieces.push({ text: part, weight: 1 });
    });
    buffer = '';
  };
  const close = (group: Group, multiplier: number) => {
    flush();
    for (let i = group.first; i < pieces.length; i++) {
      const piece = pieces[i];
      if (piece !== undefined && piece !== 'BREAK') piece.weight *= multiplier;
    }
  };

  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const top = stack[stack.length - 1];
    if (ch === '\\') {
      const next = text[i + 1];
      if (next !== undefined && ESCAPABLE.has(next)) {
        buffer += next;
        i++;
      } else {
        buffer += ch;
      }
    } else if (ch === '(' || ch === '[') {
      flush();
      stack.push({ kind: ch, at: i, first: pieces.length });
    } else if (ch === ')' || ch === ']') {
      const want = ch === ')' ? '(' : '[';
      if (top === undefined) fail(i, `'${ch}' has no matching '${want}'`);
      else if (top.kind !== want) fail(i, `'${ch}' closes the '${top.kind}' opened at character ${offset + top.at + 1}`);
      else {
        stack.pop();
        close(top, ch === ')' ? ROUND_MULTIPLIER : SQUARE_MULTIPLIER);
      }
    } else if (ch === ':' && top?.kind === '(') {
      i = closeWithWeight(text, i, top, fail, (w) => close(top, w));
      stack.pop();
    } else if (ch === ':' && top?.kind === '[') {
      fail(i, "':' inside [...]", 'prompt editing [from:to:when] is not supported; write \\: for a colon');
    } else if (ch === '|' && top !== undefined) {
      fail(i, `'|' inside '${top.kind}'`, 'mixing splits whole prompts; write \\| for the character');
    } else {
      buffer += ch;
    }
  }
  const open = stack[stack.length - 1];
  if (open !== undefined) fail(open.at, `'${open.kind}' is never closed`);
  flush();
  return mergePieces(pieces);
}

/** Reads ":number)" from the colon at `colon`; returns the index of the ')'. */
function closeWithWeight(
  text: string,
  colon: number,
  group: Group,
  fail: (at: number, problem: string, hint?: string) => never,
  apply: (weight: number) => void,
): number {
  let i = colon + 1;
  while (text[i] === ' ') i++;
  NUMBER.lastIndex = i;
  const match = NUMBER.exec(text);
  const end = text.indexOf(')', i);
  if (match === null) {
    const shown = text.slice(i, end < 0 ? undefined : end).trim();
    if (shown === '') fail(i, `the weight after ':' is missing in '(' opened at character ${group.at + 1}`);
    fail(i, `weight "${shown}" is not a number`, 'write (text:1.2); \\: for a colon in the text');
  }
  const weight = Number(match?.[0]);
  i += match?.[0].length ?? 0;
  while (text[i] === ' ') i++;
  if (text[i] === undefined) fail(group.at, "'(' is never closed");
  if (text[i] !== ')') {
    const shown = text.slice(colon + 1, end < 0 ? undefined : end).trim();
    fail(colon + 1, `weight "${shown}" is not a number`, 'write (text:1.2); \\: for a colon in the text');
  }
  if (!Number.isFinite(weight)) fail(colon + 1, 'the weight is not a finite number');
  apply(weight);
  return i;
}

/** Joins neighbours of equal weight, as A1111 does, so a plain prompt stays one run of text. */
function mergePieces(pieces: readonly PromptPiece[]): PromptPiece[] {
  const out: PromptPiece[] = [];
  for (const piece of pieces) {
    const last = out[out.length - 1];
    if (piece !== 'BREAK' && last !== undefined && last !== 'BREAK' && last.weight === piece.weight) last.text += piece.text;
    else out.push(piece === 'BREAK' ? piece : { ...piece });
  }
  return out;
}

/**
 * Splits a field into the prompts of a mix at each top-level, unescaped `|`. Each part may end in
 * ":number", its weight (default 1). Without a `|` the whole text is one part of weight 1 and a
 * trailing ":number" stays text, so plain prompts are never reinterpreted.
 */
export function splitMixedPrompt(source: string, field = 'prompt'): MixPart[] {
  const cuts: number[] = [];
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') i++;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth = Math.max(0, depth - 1);
    else if (ch === '|' && depth === 0) cuts.push(i);
  }
  if (cuts.length === 0) return [{ text: source, weight: 1, start: 0 }];

  const bounds = [-1, ...cuts, source.length];
  const parts: MixPart[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const start = (bounds[k] as number) + 1;
    const end = bounds[k + 1] as number;
    parts.push(mixPart(source, start, end, field));
  }
  const total = parts.reduce((sum, p) => sum + p.weight, 0);
  if (!(total > 0)) {
    throw new PromptSyntaxError(field, source, 0, `the weights of the mixed prompts add up to ${total}; they must add up to more than 0`);
  }
  return parts;
}

const TRAILING_WEIGHT = /(?<!\\):\s*([^\s:()[\]|]+)\s*$/;

function mixPart(source: string, start: number, end: number, field: string): MixPart {
  const raw = source.slice(start, end);
  let text = raw;
  let weight = 1;
  const m = TRAILING_WEIGHT.exec(raw);
  // Only something that starts like a number is taken as a weight: "style: photo" stays text.
  if (m !== null && /^[+\-.\d]/.test(m[1] ?? '')) {
    const value = m[1] ?? '';
    const at = start + m.index + (m[0].indexOf(value));
    if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(value) || !Number.isFinite(Number(value))) {
      throw new PromptSyntaxError(field, source, at, `weight "${value}" is not a number`);
    }
    weight = Number(value);
    text = raw.slice(0, m.index);
  }
  if (text.trim() === '') {
    throw new PromptSyntaxError(field, source, start, 'a prompt of the mix is empty', 'text is needed on both sides of each |');
  }
  return { text, weight, start };
}

/** The weights of a mix scaled to add up to 1. */
export function normalizedWeights(parts: readonly { weight: number }[]): number[] {
  const total = parts.reduce((sum, p) => sum + p.weight, 0);
  return parts.map((p) => p.weight / total);
}

/** A mixed, weighted prompt field: each part with its pieces, positions relative to the whole field. */
export interface ParsedPromptField {
  parts: Array<MixPart & { pieces: PromptPiece[] }>;
}

/** Parses a whole field (mix and weights); throws PromptSyntaxError on the first problem. */
export function parsePromptField(source: string, field = 'prompt'): ParsedPromptField {
  return {
    parts: splitMixedPrompt(source, field).map((part) => ({
      ...part,
      pieces: parsePromptWeights(part.text, field, source, part.start),
    })),
  };
}

/** True when the pieces are plain text at weight 1 (no weights, no BREAK): the legacy encoding applies. */
export function isPlain(pieces: readonly PromptPiece[]): boolean {
  return pieces.every((p) => p !== 'BREAK' && p.weight === 1);
}
