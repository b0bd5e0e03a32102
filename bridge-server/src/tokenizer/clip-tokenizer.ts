/**
 * CLIP tokenizer giving the ids of openai/CLIP's SimpleTokenizer (ftfy clean-up, html.unescape,
 * its word regex, byte-level BPE), which A1111 uses through open_clip and transformers' slow
 * CLIPTokenizer matches when ftfy is installed. Differences are listed in README.md beside this file.
 */
import { END_OF_WORD, BytePairEncoder, type PairRanks } from './bpe.js';
import { fromByteLevel, toByteLevel } from './byte-encoding.js';
import { tokenizerInvalid } from './invalid.js';
import { mergesFromLines } from './merges-text.js';
import { openaiCleanText } from './openai-clean.js';
import { splitClipWords } from './pre-tokenize.js';
import { type Vocabulary, vocabFromObject } from './vocab-json.js';
import {
  DEFAULT_MAX_LENGTH,
  DEFAULT_SPECIAL_TOKENS,
  type SpecialTokenRole,
  type SpecialTokenSource,
  readTokenizerFolder,
  specialTokenId,
} from './tokenizer-files.js';

export interface ClipTokenizerOptions {
  bosToken?: string;
  eosToken?: string;
  /** SD1.x: "<|endoftext|>" (the default); SD2.x and SDXL's second encoder: "!". */
  padToken?: string;
  unkToken?: string;
  /** Sequence length including BOS and EOS; 77 for every CLIP text encoder. */
  maxLength?: number;
}

interface TokenizerParts {
  vocab: Vocabulary;
  merges: PairRanks;
  special: Record<SpecialTokenRole, SpecialTokenSource>;
  maxLength: number;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * A word with ids of its own beyond the vocabulary (a textual-inversion embedding): where the
 * word's own tokens appear in a prompt's token stream, they are replaced by `ids`, one id per
 * vector, as A1111 finds embeddings among a prompt's tokens.
 */
export interface AddedWord {
  text: string;
  ids: readonly number[];
}

interface AddedMatch {
  tokens: readonly number[];
  ids: readonly number[];
}

export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  readonly maxLength: number;
  readonly bosToken: string;
  readonly eosToken: string;
  readonly padToken: string;
  readonly unkToken: string;

  private readonly vocab: Vocabulary;
  private readonly bpe: BytePairEncoder;
  private readonly specialIds: ReadonlySet<number>;
  /** A pad token that is no other special token ("!"): cut out of prompts as HF does. */
  private readonly padSplit: string | undefined;
  private idToToken: Map<number, string> | undefined;
  private readonly parts: TokenizerParts;
  private added: readonly AddedMatch[] = [];

  private constructor(parts: TokenizerParts) {
    this.parts = parts;
    const { vocab, special } = parts;
    this.vocab = vocab;
    this.maxLength = parts.maxLength;
    this.bosId = specialTokenId(vocab, 'bos', special.bos);
    this.eosId = specialTokenId(vocab, 'eos', special.eos);
    this.padId = specialTokenId(vocab, 'pad', special.pad);
    this.unkId = specialTokenId(vocab, 'unk', special.unk);
    this.bosToken = special.bos.token;
    this.eosToken = special.eos.token;
    this.padToken = special.pad.token;
    this.unkToken = special.unk.token;
    // openai's word regex keeps "<|startoftext|>" and "<|endoftext|>" whole where a word starts
    // there, and its BPE cache is pre-seeded with them, so a marker typed in a prompt is that id.
    // SD 2.x and SDXL's second tokenizer pad with "!": HF's tokenizer cuts the text at its special
    // tokens before anything else, so every "!" typed in a prompt becomes the pad id 0 there
    // (diffusers#4153; open_clip and A1111 give 256). A seed must give what diffusers gives: we cut too.
    this.padSplit = this.padToken !== this.bosToken && this.padToken !== this.eosToken && this.padToken !== this.unkToken ? this.padToken : undefined;
    this.bpe = new BytePairEncoder(parts.merges, [DEFAULT_SPECIAL_TOKENS.bos, DEFAULT_SPECIAL_TOKENS.eos]);
    this.specialIds = new Set([this.bosId, this.eosId, this.unkId, this.padId]);
  }

  /** Loads a diffusers/transformers `tokenizer/` folder (vocab.json, merges.txt, optional configs). */
  static async fromFolder(dir: string): Promise<ClipTokenizer> {
    return new ClipTokenizer(await readTokenizerFolder(dir));
  }

  /**
   * Builds a tokenizer from an in-memory vocabulary and merge lines ("left right", best first; a
   * leading "#version" line is ignored). Errors name the argument: `vocab`, `merges` or `options`.
   */
  static fromData(vocab: Record<string, number>, merges: readonly string[], options: ClipTokenizerOptions = {}): ClipTokenizer {
    const lines = merges[0]?.startsWith('#version') === true ? merges.slice(1) : merges;
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (!Number.isInteger(maxLength) || maxLength < 3) {
      throw tokenizerInvalid('options', `maxLength ${maxLength} is not an integer >= 3`);
    }
    const named = (token: string | undefined, role: SpecialTokenRole): SpecialTokenSource =>
      token === undefined ? { token: DEFAULT_SPECIAL_TOKENS[role], from: 'vocab' } : { token, from: 'options' };
    return new ClipTokenizer({
      vocab: vocabFromObject(vocab, 'vocab'),
      merges: mergesFromLines(lines, 'merges'),
      special: {
        bos: named(options.bosToken, 'bos'),
        eos: named(options.eosToken, 'eos'),
        pad: named(options.padToken, 'pad'),
        unk: named(options.unkToken, 'unk'),
      },
      maxLength,
    });
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** Id of one vocabulary entry (byte-level form, e.g. "cat</w>"), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** This tokenizer with `words` added (longest first when one word's tokens begin another's). */
  withAddedWords(words: readonly AddedWord[]): ClipTokenizer {
    const t = new ClipTokenizer(this.parts);
    t.added = words
      .map((w) => ({ tokens: this.encodeText(w.text), ids: [...w.ids] }))
      .filter((w) => w.tokens.length > 0 && w.ids.length > 0)
      .sort((a, b) => b.tokens.length - a.tokens.length);
    return t;
  }

  /** Token ids of the text, without BOS/EOS and without truncation. */
  encode(text: string): number[] {
    return this.added.length === 0 ? this.encodeText(text) : this.encodeUnits(text).flat();
  }

  /**
   * The ids in units: one id per token, an added word's ids together (they must stay in one
   * 75-token chunk, as A1111 keeps an embedding's vectors together).
   */
  encodeUnits(text: string): number[][] {
    const ids = this.encodeText(text);
    const units: number[][] = [];
    for (let i = 0; i < ids.length; ) {
      const word = this.added.find((w) => w.tokens.every((t, k) => ids[i + k] === t));
      if (word !== undefined) {
        units.push([...word.ids]);
        i += word.tokens.length;
      } else {
        units.push([ids[i] as number]);
        i++;
      }
    }
    return units;
  }

  private encodeText(text: string): number[] {
    if (this.padSplit === undefined) return this.encodePiece(text);
    const ids: number[] = [];
    for (const [i, piece] of text.split(this.padSplit).entries()) {
      if (i > 0) ids.push(this.padId);
      ids.push(...this.encodePiece(piece));
    }
    return ids;
  }

  private encodePiece(text: string): number[] {
    const ids: number[] = [];
    for (const word of splitClipWords(openaiCleanText(text))) {
      for (const symbol of this.bpe.encodeWord(toByteLevel(word))) {
        ids.push(this.vocab.get(symbol) ?? this.unkId);
      }
    }
    return ids;
  }

  /** Number of ids the text encodes to, not counting BOS/EOS. */
  countTokens(text: string): number {
    return this.encode(text).length;
  }

  /**
   * The text encoder input: BOS, the first maxLength-2 ids, EOS, then padId up to maxLength
   * (what diffusers gets from `padding="max_length", truncation=True`).
   */
  tokenize(text: string): Int32Array {
    return this.frame(this.encode(text).slice(0, this.maxLength - 2));
  }

  /**
   * Long prompts for concatenated conditioning (ComfyUI/A1111 style): the ids cut into runs of
   * maxLength-2, each framed like tokenize(). An empty prompt still gives one chunk.
   */
  tokenizeChunks(text: string): Int32Array[] {
    const ids = this.encode(text);
    const size = this.maxLength - 2;
    const chunks: Int32Array[] = [];
    for (let start = 0; start < ids.length; start += size) chunks.push(this.frame(ids.slice(start, start + size)));
    return chunks.length > 0 ? chunks : [this.frame([])];
  }

  /** Text back from ids (special ids skipped unless asked); for logs and prompt inspection. */
  decode(ids: ArrayLike<number>, { skipSpecial = true }: { skipSpecial?: boolean } = {}): string {
    this.idToToken ??= new Map([...this.vocab.entries()].map(([token, id]) => [id, token]));
    let symbols = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (skipSpecial && this.specialIds.has(id)) continue;
      symbols += this.idToToken.get(id) ?? '';
    }
    return utf8Decoder.decode(fromByteLevel(symbols)).split(END_OF_WORD).join(' ').trim();
  }

  private frame(ids: readonly number[]): Int32Array {
    const out = new Int32Array(this.maxLength).fill(this.padId);
    out[0] = this.bosId;
    out.set(ids, 1);
    out[ids.length + 1] = this.eosId;
    return out;
  }
}
