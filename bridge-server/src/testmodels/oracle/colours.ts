/**
 * The oracle text encoder's embedding: colour words map to (r, g, b, 1) with r, g, b in
 * [-1, 1] (image space, where -1 is black and 1 is full intensity); every other token,
 * including BOS, EOS and padding, maps to (0, 0, 0, 0) and so carries no weight.
 *
 * "cyan" is not a single CLIP token (it splits into "cy" + "an</w>"), so "teal" stands in for it.
 */
import { clipVocab } from '../layout.js';

export type Rgb = readonly [number, number, number];

/** Colour word -> its (r, g, b) in [-1, 1]. Half intensity leaves room for guidance to push further. */
export const ORACLE_COLOURS: Readonly<Record<string, Rgb>> = {
  red: [0.5, -0.5, -0.5],
  green: [-0.5, 0.5, -0.5],
  blue: [-0.5, -0.5, 0.5],
  white: [0.5, 0.5, 0.5],
  black: [-0.5, -0.5, -0.5],
  yellow: [0.5, 0.5, -0.5],
  teal: [-0.5, 0.5, 0.5],
  magenta: [0.5, -0.5, 0.5],
  orange: [0.5, 0, -0.5],
  purple: [0, -0.5, 0],
  gray: [0, 0, 0],
  grey: [0, 0, 0],
};

export const ORACLE_HIDDEN_SIZE = 4;
export const CLIP_VOCAB_SIZE = 49408;

let cachedTokenColours: ReadonlyMap<number, Rgb> | undefined;

/** Token id -> colour, for the colour words' "<word></w>" tokens. */
export function oracleTokenColours(): ReadonlyMap<number, Rgb> {
  if (cachedTokenColours !== undefined) return cachedTokenColours;
  const vocab = clipVocab();
  const map = new Map<number, Rgb>();
  for (const [word, rgb] of Object.entries(ORACLE_COLOURS)) {
    const id = vocab.get(`${word}</w>`);
    if (id === undefined) throw new Error(`testmodels: "${word}</w>" is not in the CLIP vocabulary`);
    map.set(id, rgb);
  }
  cachedTokenColours = map;
  return map;
}

/** The [49408, 4] embedding table the oracle text encoder gathers from. */
export function oracleEmbeddingTable(): Float32Array {
  const table = new Float32Array(CLIP_VOCAB_SIZE * ORACLE_HIDDEN_SIZE);
  for (const [id, [r, g, b]] of oracleTokenColours()) table.set([r, g, b, 1], id * ORACLE_HIDDEN_SIZE);
  return table;
}

/**
 * The colour the oracle UNet steers towards for one prompt's token ids: the mean colour of its
 * colour tokens, or (0, 0, 0) (mid gray) when it has none.
 */
export function oracleColour(tokenIds: ArrayLike<number | bigint>): Rgb {
  const colours = oracleTokenColours();
  const sum = [0, 0, 0];
  let weight = 0;
  for (let i = 0; i < tokenIds.length; i++) {
    const rgb = colours.get(Number(tokenIds[i]));
    if (rgb === undefined) continue;
    for (let c = 0; c < 3; c++) sum[c] = (sum[c] ?? 0) + rgb[c as 0 | 1 | 2];
    weight += 1;
  }
  const d = Math.max(1, weight);
  return [(sum[0] ?? 0) / d, (sum[1] ?? 0) / d, (sum[2] ?? 0) / d];
}

/**
 * oracleColour for a prompt string without a tokenizer: a lower-cased word that equals a colour
 * word is exactly one colour token for CLIP's BPE, any other word is none. Prompts past 75 tokens
 * (where CLIP truncates) are not modelled.
 */
export function oracleColourOfPrompt(prompt: string): Rgb {
  const vocab = clipVocab();
  const ids: number[] = [];
  for (const word of prompt.toLowerCase().split(/[^a-z]+/)) {
    if (!Object.hasOwn(ORACLE_COLOURS, word)) continue;
    const id = vocab.get(`${word}</w>`);
    if (id !== undefined) ids.push(id);
  }
  return oracleColour(ids);
}
