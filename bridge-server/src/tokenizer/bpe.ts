/**
 * Byte-pair encoding of one byte-level word, with CLIP's "</w>" end-of-word marker on the last
 * symbol. Same procedure as the reference: repeatedly merge every occurrence (left to right) of
 * the adjacent pair with the lowest merge rank until no ranked pair is left.
 */

/** Rank of the merge `${left} ${right}`; lower merges first. */
export interface PairRanks {
  getPair(left: string, right: string): number | undefined;
}

export const END_OF_WORD = '</w>';

// Prompts reuse the same few hundred words; the cap only guards against unbounded growth.
const CACHE_LIMIT = 20_000;

export class BytePairEncoder {
  private readonly cache = new Map<string, readonly string[]>();

  /**
   * @param verbatim words that must pass through unsplit and without "</w>" (special tokens)
   */
  constructor(
    private readonly ranks: PairRanks,
    private readonly verbatim: readonly string[] = [],
  ) {
    this.seed();
  }

  /** Splits a byte-level word into vocabulary symbols. */
  encodeWord(word: string): readonly string[] {
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const symbols = this.merge(word);
    if (this.cache.size >= CACHE_LIMIT) {
      this.cache.clear();
      this.seed();
    }
    this.cache.set(word, symbols);
    return symbols;
  }

  private seed(): void {
    for (const word of this.verbatim) this.cache.set(word, [word]);
  }

  private merge(word: string): readonly string[] {
    // Byte-level characters are all single UTF-16 units, so split('') yields whole symbols.
    let symbols = word.split('');
    if (symbols.length === 0) return [];
    symbols[symbols.length - 1] += END_OF_WORD;
    while (symbols.length > 1) {
      let bestRank = Infinity;
      let bestLeft = '';
      let bestRight = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const left = symbols[i] as string;
        const right = symbols[i + 1] as string;
        const rank = this.ranks.getPair(left, right);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestLeft = left;
          bestRight = right;
        }
      }
      if (bestRank === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        const symbol = symbols[i] as string;
        if (symbol === bestLeft && symbols[i + 1] === bestRight) {
          merged.push(bestLeft + bestRight);
          i++;
        } else {
          merged.push(symbol);
        }
      }
      symbols = merged;
    }
    return symbols;
  }
}
