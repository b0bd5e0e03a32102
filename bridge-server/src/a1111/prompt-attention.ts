/**
 * A1111's emphasis syntax as its prompt_parser.parse_prompt_attention reads it, forgiving where our
 * own syntax is strict: an unmatched "(" or "[" weights the rest of the prompt, an unmatched ")"
 * or "]" is plain text, "(a:x)" outside brackets is text. The result is re-written in our strict
 * syntax (one "(escaped text:weight)" run per weight), so the pipeline sees exactly A1111's weights.
 */

export type AttentionPiece = { text: string; weight: number } | 'BREAK';

const RE_ATTENTION = /\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()[\]:]+|:/g;
const RE_BREAK = /\s*\bBREAK\b\s*/s;

export function parsePromptAttention(text: string): AttentionPiece[] {
  const res: Array<{ text: string; weight: number } | { text: 'BREAK'; weight: -1 }> = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyRange = (start: number, m: number) => {
    for (let p = start; p < res.length; p++) (res[p] as { weight: number }).weight *= m;
  };
  for (const match of text.matchAll(RE_ATTENTION)) {
    const t = match[0];
    const weight = match[1];
    if (t.startsWith('\\')) res.push({ text: t.slice(1), weight: 1 });
    else if (t === '(') round.push(res.length);
    else if (t === '[') square.push(res.length);
    else if (weight !== undefined && round.length > 0) multiplyRange(round.pop() as number, Number.parseFloat(weight));
    else if (t === ')' && round.length > 0) multiplyRange(round.pop() as number, 1.1);
    else if (t === ']' && square.length > 0) multiplyRange(square.pop() as number, 1 / 1.1);
    else {
      t.split(RE_BREAK).forEach((part, i) => {
        if (i > 0) res.push({ text: 'BREAK', weight: -1 });
        res.push({ text: part, weight: 1 });
      });
    }
  }
  for (const pos of round) multiplyRange(pos, 1.1);
  for (const pos of square) multiplyRange(pos, 1 / 1.1);
  if (res.length === 0) res.push({ text: '', weight: 1 });
  // Runs of equal weight merge, as A1111 merges them.
  for (let i = 0; i + 1 < res.length; ) {
    const a = res[i] as { text: string; weight: number };
    const b = res[i + 1] as { text: string; weight: number };
    if (a.weight === b.weight) {
      a.text += b.text;
      res.splice(i + 1, 1);
    } else i++;
  }
  return res.map((r) => (r.weight === -1 && r.text === 'BREAK' ? 'BREAK' : { text: r.text, weight: r.weight }));
}

/** True when any run has a weight other than 1 (A1111's infotext then records "Emphasis"). */
export function usesEmphasis(pieces: readonly AttentionPiece[]): boolean {
  return pieces.some((p) => p !== 'BREAK' && p.weight !== 1);
}

const ESCAPE = /[()[\]:|\\]/g;

/** Shortest decimal that round-trips a float64 weight (our parser reads it back exactly). */
function weightText(w: number): string {
  return String(w);
}

/** A1111 prompt text → our syntax with the same token weights (and BREAKs). */
export function toBridgeSyntax(text: string): string {
  const out: string[] = [];
  for (const piece of parsePromptAttention(text)) {
    if (piece === 'BREAK') {
      out.push(' BREAK ');
      continue;
    }
    if (piece.text === '') continue;
    const escaped = piece.text.replace(ESCAPE, (c) => `\\${c}`);
    out.push(piece.weight === 1 ? escaped : `(${escaped}:${weightText(piece.weight)})`);
  }
  return out.join('');
}
