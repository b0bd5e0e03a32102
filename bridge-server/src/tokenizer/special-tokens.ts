/**
 * The slow HF tokenizer cuts the raw text at its special tokens (bos, eos, unk, pad) before any
 * clean-up and maps each occurrence straight to its id. That is why SD2/SDXL tokenizers, whose
 * pad token is "!", turn every "!" in a prompt into id 0 (diffusers issue #4153): we keep it.
 */

export interface TextPiece {
  readonly text: string;
  /** Vocabulary id when this piece is a special token, otherwise undefined. */
  readonly specialId: number | undefined;
}

export class SpecialTokenSplitter {
  private readonly pattern: RegExp | undefined;

  constructor(private readonly ids: ReadonlyMap<string, number>) {
    // Longest first, so a token that is a prefix of another never wins (HF's trie does the same).
    const alternatives = [...ids.keys()]
      .filter((t) => t.length > 0)
      .sort((a, b) => b.length - a.length)
      .map((t) => t.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
    this.pattern = alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'g') : undefined;
  }

  split(text: string): TextPiece[] {
    const pieces: TextPiece[] = [];
    let start = 0;
    if (this.pattern !== undefined) {
      for (const match of text.matchAll(this.pattern)) {
        const at = match.index ?? 0;
        if (at > start) pieces.push({ text: text.slice(start, at), specialId: undefined });
        pieces.push({ text: match[0], specialId: this.ids.get(match[0]) });
        start = at + match[0].length;
      }
    }
    if (start < text.length) pieces.push({ text: text.slice(start), specialId: undefined });
    return pieces;
  }
}
