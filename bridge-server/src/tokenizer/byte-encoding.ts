/**
 * GPT-2/CLIP byte-level alphabet: every UTF-8 byte gets a printable stand-in character, so BPE
 * never sees raw whitespace or control bytes. Printable Latin-1 bytes map to themselves; the other
 * 68 bytes are moved, in byte order, to U+0100 onwards. All stand-ins are single UTF-16 units.
 */
function buildByteToChar(): readonly string[] {
  const table = new Array<string>(256);
  const keepsItself = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let moved = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(keepsItself(b) ? b : 256 + moved++);
  }
  return table;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((ch, b) => [ch, b]));

const utf8 = new TextEncoder();

/** Maps a piece of text to its byte-level form (one stand-in character per UTF-8 byte). */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of utf8.encode(text)) out += BYTE_TO_CHAR[b] as string;
  return out;
}

/** Inverse of toByteLevel; characters outside the alphabet are skipped. */
export function fromByteLevel(symbols: string): Uint8Array {
  const bytes: number[] = [];
  for (const ch of symbols) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) bytes.push(b);
  }
  return Uint8Array.from(bytes);
}
