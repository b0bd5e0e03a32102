/**
 * The single-byte codecs whose mojibake ftfy undoes, in the order it tries them. A "sloppy" codec
 * is a Windows code page whose unassigned bytes keep their Latin-1 meaning, so every byte decodes;
 * ftfy also lets it encode U+FFFD as byte 0x1A (SUBSTITUTE), marking bytes already lost.
 */
import { HIGH_HALF } from './tables.generated.js';

export interface SingleByteCodec {
  readonly name: string;
  readonly sloppy: boolean;
  /** The bytes of `text`, or undefined when a character has no byte in this codec. */
  encode(text: string): Uint8Array | undefined;
  /** Whether every character has a byte (ftfy's possible_encoding). */
  canEncode(text: string): boolean;
  /** The character of one byte. */
  charOf(byte: number): string;
}

const SUBSTITUTE = 0x1a;
const REPLACEMENT = '\ufffd';

function buildCodec(name: string, base: string, sloppy: boolean): SingleByteCodec {
  const high = HIGH_HALF[base];
  if (high === undefined) throw new Error(`no table for ${base}`);
  const chars: string[] = [];
  for (let b = 0; b < 0x80; b++) chars.push(String.fromCharCode(b));
  high.forEach((c, i) => chars.push(c ?? (sloppy ? String.fromCharCode(0x80 + i) : '')));
  if (sloppy) chars[SUBSTITUTE] = REPLACEMENT;
  const bytes = new Map<number, number>();
  chars.forEach((c, b) => {
    const cp = c.codePointAt(0);
    if (c !== '' && cp !== undefined && !bytes.has(cp)) bytes.set(cp, b);
  });
  const encode = (text: string): Uint8Array | undefined => {
    const out = new Uint8Array(text.length);
    let n = 0;
    for (const ch of text) {
      const b = bytes.get(ch.codePointAt(0) as number);
      if (b === undefined) return undefined;
      out[n++] = b;
    }
    return out.subarray(0, n);
  };
  return {
    name,
    sloppy,
    encode,
    canEncode: (text) => {
      for (const ch of text) if (!bytes.has(ch.codePointAt(0) as number)) return false;
      return true;
    },
    charOf: (byte) => chars[byte] as string,
  };
}

/** ftfy's CHARMAP_ENCODINGS, in its order. */
export const CHARMAP_CODECS: readonly SingleByteCodec[] = [
  buildCodec('latin-1', 'latin-1', false),
  buildCodec('sloppy-windows-1252', 'windows-1252', true),
  buildCodec('sloppy-windows-1251', 'windows-1251', true),
  buildCodec('sloppy-windows-1250', 'windows-1250', true),
  buildCodec('sloppy-windows-1253', 'windows-1253', true),
  buildCodec('sloppy-windows-1254', 'windows-1254', true),
  buildCodec('sloppy-windows-1257', 'windows-1257', true),
  buildCodec('iso-8859-2', 'iso-8859-2', false),
  buildCodec('macroman', 'mac-roman', false),
  buildCodec('cp437', 'cp437', false),
];

export const LATIN_1 = CHARMAP_CODECS[0] as SingleByteCodec;
export const SLOPPY_1252 = CHARMAP_CODECS[1] as SingleByteCodec;

/** Strict (non-sloppy) Windows-1252, as Python's codec: five bytes are unassigned. */
export const STRICT_1252 = buildCodec('windows-1252', 'windows-1252', false);

/** Decodes bytes with a codec that assigns every byte it is given (caller checks). */
export function decodeBytes(codec: SingleByteCodec, bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += codec.charOf(b);
  return s;
}
