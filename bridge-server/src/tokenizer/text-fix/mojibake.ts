/**
 * ftfy's fix_encoding: text that was UTF-8 but got decoded as a single-byte code page ("cafÃ©",
 * "â€™") is encoded back to those bytes and decoded as UTF-8, in ftfy's order of code pages and
 * with its repairs (a space that was byte A0, bytes lost as U+FFFD, mojibake embedded in correct
 * text, stray C1 controls read as Windows-1252).
 *
 * What decides whether to try at all is ftfy's "badness" heuristic, a long hand-tuned rule set.
 * Ours (looksLikeMojibake) is our own, shorter and cautious: characters whose bytes in one of the
 * code pages form UTF-8 sequences that correct text does not contain. Windows-1252/Latin-1
 * mojibake, by far the commonest, is repaired like ftfy repairs it; of the other code pages' the
 * clear cases are (see README.md beside the tokenizer).
 */
import { CHARMAP_CODECS, decodeBytes, LATIN_1, SLOPPY_1252, STRICT_1252, type SingleByteCodec } from './codecs.js';
import { decodeUtf8 } from './utf8.js';

const C1 = /[\u0080-\u009f]/;
const C1_ALL = /[\u0080-\u009f]/g;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

// Byte patterns, on bytes held as a Latin-1 "binary" string.
/** Sequences that would be UTF-8 if one byte 20 had been A0 (lead bytes chosen as ftfy does). */
const ALTERED_UTF8 = /[\xc2\xc3\xc5\xce\xd0\xd9] |[\xe2\xe3] [\x80-\x84\x86-\x9f\xa1-\xbf]|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf] |\xf0 [\x80-\xbf]{2}|\xf0[\x80-\xbf] [\x80-\xbf]|\xf0[\x80-\xbf]{2} /g;
/** "Ã " alone is "à " (French "à la"), except before the Portuguese "às"/"àquele" family. */
const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g;
/** UTF-8 sequences with bytes lost to U+FFFD (byte 1A in a sloppy code page), or '?' once. */
const LOSSY_UTF8 =
  /[\xc2-\xdf]\x1a|[\xc2-\xc3]\?|\xed[\xa0-\xaf][\x1a?]\xed[\xb0-\xbf][\x1a?\x80-\xbf]|\xed[\xa0-\xaf][\x1a?\x80-\xbf]\xed[\xb0-\xbf][\x1a?]|[\xe0-\xef][\x1a?][\x1a\x80-\xbf]|[\xe0-\xef][\x1a\x80-\xbf][\x1a?]|[\xf0-\xf4][\x1a?][\x1a\x80-\xbf]{2}|[\xf0-\xf4][\x1a\x80-\xbf][\x1a?][\x1a\x80-\xbf]|[\xf0-\xf4][\x1a\x80-\xbf]{2}[\x1a?]|\x1a/g;

const toBinary = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const fromBinary = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function restoreByteA0(bytes: Uint8Array): Uint8Array {
  const s = toBinary(bytes).replace(A_GRAVE_WORD, '\xc3\xa0 ').replace(ALTERED_UTF8, (m) => m.replace(/ /g, '\xa0'));
  return fromBinary(s);
}

function replaceLossy(bytes: Uint8Array): Uint8Array {
  return fromBinary(toBinary(bytes).replace(LOSSY_UTF8, '\xef\xbf\xbd'));
}

// Characters that the bytes of a UTF-8 sequence become in the Windows code pages and Latin-1.
const CLUE_CODECS = CHARMAP_CODECS.filter((c) => c.name === 'latin-1' || c.name.startsWith('sloppy-'));
function charsOf(from: number, to: number, codecs: readonly SingleByteCodec[]): string {
  const set = new Set<string>();
  for (const codec of codecs) for (let b = from; b <= to; b++) set.add(codec.charOf(b));
  return [...set].map((c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`).join('');
}
const LEAD2 = charsOf(0xc2, 0xdf, CLUE_CODECS);
const LEAD3 = charsOf(0xe0, 0xef, CLUE_CODECS);
const LEAD4 = charsOf(0xf0, 0xf4, CLUE_CODECS);
const CONT = charsOf(0x80, 0xbf, CLUE_CODECS);
/**
 * Runs of UTF-8-looking sequences (a space may stand for byte A0), not right after a
 * continuation-like character, so a few characters inside a longer garble are not "fixed" alone.
 */
const UTF8_RUNS = new RegExp(`(?<![${CONT}])(?:[${LEAD2}][${CONT} ]|[${LEAD3}][${CONT} ]{2}|[${LEAD4}][${CONT} ]{3})+`, 'gu');

// The badness test's own clues, on the Latin-1/Windows-1252 bytes of the text.
const W_LEAD = charsOf(0xc2, 0xf4, [LATIN_1, SLOPPY_1252]);
const W_CONT = charsOf(0x80, 0xbf, [LATIN_1, SLOPPY_1252]);
/** Candidate runs: lead characters each followed by continuation characters (or U+FFFD, a lost byte). */
const W_RUN = new RegExp(`(?:[${W_LEAD}][${W_CONT}\\ufffd]{1,3})+`, 'gu');
/** The same runs in each of the other code pages ftfy tries (Cyrillic, Central European, Mac Roman, cp437…). */
const OTHER_RUNS = CHARMAP_CODECS.filter((c) => c !== LATIN_1 && c !== SLOPPY_1252).map((codec) => ({
  codec,
  runs: new RegExp(`(?:[${charsOf(0xc2, 0xf4, [codec])}][${charsOf(0x80, 0xbf, [codec])}\\ufffd]{1,3})+`, 'gu'),
}));
/** "Ã"/"Â" whose A0 became a space, after a lowercase letter or at the start. */
const SPACE_FOR_A0 = /(?:^|[a-z]\s?)[ÃÂ] /u;

/** Lead bytes whose sequences are telling on their own: Latin-1 supplement, Greek and Cyrillic capitals, punctuation/CJK, emoji. */
const STRONG_LEADS = new Set([0xc2, 0xc3, 0xce, 0xd0, 0xe2, 0xe3, 0xf0]);

const LETTER = /\p{L}/u;
/** Mac Roman bytes of ∞ ∑ ∏ π ∫ Ω. */
const MATH_AFTER_ROOT = new Set([0xb0, 0xb7, 0xb8, 0xb9, 0xba, 0xbd]);

/**
 * Whether the bytes hold a telling UTF-8 sequence (see looksLikeMojibake). A lost byte (0x1A, from
 * U+FFFD) counts as a continuation byte. `codec` says what the bytes were: in the Western code
 * pages some leads tell on their own; in the others a sequence must also hold a non-letter,
 * because their own letters fill the lead and continuation ranges ("ВІКІ" is Ukrainian).
 */
function hasTellingSequence(bytes: Uint8Array, codec: SingleByteCodec, western: boolean): boolean {
  let inRow = 0;
  let symbolInRow = false;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    const seq = need < 0 || i + need >= bytes.length ? undefined : bytes.subarray(i, i + need + 1);
    if (seq === undefined || (!seq.includes(0x1a) && decodeUtf8(seq, false) === undefined)) {
      inRow = 0;
      symbolInRow = false;
      i += 1;
      continue;
    }
    inRow += 1;
    const symbol = [...seq].some((x) => !LETTER.test(codec.charOf(x)));
    symbolInRow ||= symbol;
    if (western) {
      // "ï¿½" (U+FFFD), "ï»¿" (BOM), "ï¼Œ" (full-width forms): EF then a byte of A0–BF.
      // Latin Extended-A ("Ä°", "Å¡") and "ï" only with a Latin-1 symbol second, not NBSP or "£":
      // "AHÅ™", "SELKÄ\u00a0EDELLÄ" and "MÄ£ÄM" are written that way on purpose.
      const next = bytes[i + 1] as number;
      const symbolNext = next >= 0xa1 && next !== 0xa3;
      if (inRow >= 2 || STRONG_LEADS.has(b) || ((b === 0xc4 || b === 0xc5 || b === 0xef) && symbolNext)) return true;
    } else {
      // Punctuation and emoji ("вЂ™", Mac Roman "‚Äô") alone, or a run of two holding a symbol;
      // Mac Roman's "√" is byte C3, the lead of every Latin-1 letter ("g√©n√©ral"), unless a
      // square root is meant: "√π", "√∞", "√∑"… (bytes B0, B7–BA, BD there).
      if ((inRow >= 2 && symbolInRow) || (need >= 2 && (b === 0xe2 || b === 0xf0) && symbol)) return true;
      if (codec.name === 'macroman' && b === 0xc3 && !MATH_AFTER_ROOT.has(bytes[i + 1] as number)) return true;
    }
    i += need + 1;
  }
  return false;
}

/**
 * Our stand-in for ftfy.badness.is_bad, deliberately cautious so that correct text (an accented
 * capital before punctuation, "NESTLÉ®", "Brontë…") is never touched:
 * - a C1 control character;
 * - a three- or four-byte sequence led by "â", "ã" or "ð" (punctuation, symbols, emoji: "â€™",
 *   "ðŸ”¥") or by "ï" then a Latin-1 symbol ("ï¿½"), any two-byte one led by "Ã", "Â", "Î"
 *   or "Ð" (Latin-1 letters and symbols "Ã©", "Â°", Greek "Î³", Cyrillic "Ð¿"), or led by "Ä"
 *   or "Å" then a Latin-1 symbol ("Ä°", "Å¡");
 * - two or more sequences in a row, whatever their leads (Cyrillic "Ð¿Ñ€", Arabic "Ø¨Ù");
 * - in the other code pages: punctuation and emoji ("вЂ™", Mac Roman "‚Äô"), Mac Roman's "√©",
 *   or two sequences in a row holding a non-letter ("РџСЂ" but not Ukrainian "ВІКІ");
 * - "Ã"/"Â" followed by a space that was byte A0.
 */
export function looksLikeMojibake(text: string): boolean {
  if (C1.test(text) || SPACE_FOR_A0.test(text)) return true;
  for (const m of text.matchAll(W_RUN)) {
    for (const codec of [SLOPPY_1252, LATIN_1]) {
      const bytes = codec.encode(m[0]);
      if (bytes !== undefined && hasTellingSequence(bytes, codec, true)) return true;
    }
  }
  for (const { codec, runs } of OTHER_RUNS) {
    for (const m of text.matchAll(runs)) {
      const bytes = codec.encode(m[0]);
      if (bytes !== undefined && hasTellingSequence(bytes, codec, false)) return true;
    }
  }
  return false;
}

function fixC1Controls(text: string): string {
  return text.replace(C1_ALL, (c) => SLOPPY_1252.charOf(c.charCodeAt(0)));
}

function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_RUNS, (run) => (run.length < text.length && looksLikeMojibake(run) ? fixEncoding(run) : run));
}

function fixEncodingStep(text: string): string {
  if (text.length === 0 || ASCII_ONLY.test(text) || !looksLikeMojibake(text)) return text;
  const possible: string[] = [];
  for (const codec of CHARMAP_CODECS) {
    let bytes = codec.encode(text);
    if (bytes === undefined) continue;
    possible.push(codec.name);
    if (codec.name !== 'macroman' && new RegExp(ALTERED_UTF8.source).test(toBinary(bytes))) bytes = restoreByteA0(bytes);
    if (codec.sloppy) bytes = replaceLossy(bytes);
    const fixed = decodeUtf8(bytes, bytes.includes(0xed) || bytes.includes(0xc0));
    if (fixed !== undefined) return fixed;
  }
  if (new RegExp(UTF8_RUNS.source, 'u').test(text)) {
    const fixed = decodeInconsistentUtf8(text);
    if (fixed !== text) return fixed;
  }
  // ftfy's check for "windows-1252" among the possible encodings never matches (its list names
  // "sloppy-windows-1252"), so Latin-1 text always gets the strict Windows-1252 reading here.
  if (possible.includes('latin-1')) {
    const bytes = LATIN_1.encode(text) as Uint8Array;
    if (bytes.every((b) => STRICT_1252.charOf(b) !== '')) {
      const fixed = decodeBytes(STRICT_1252, bytes);
      if (fixed !== text) return fixed;
    }
  }
  if (C1.test(text)) return fixC1Controls(text);
  return text;
}

/** ftfy.fix_encoding: repeats one repair step until the text stops changing. */
export function fixEncoding(text: string): string {
  let current = text;
  for (;;) {
    const next = fixEncodingStep(current);
    if (next === current) return current;
    current = next;
  }
}

export { fixC1Controls };
