/**
 * PNG text chunks, written and read without decoding pixels. Every image we write carries the
 * A1111-style "parameters" entry, so other tools (and our own importer) can read the settings back.
 * Plain ASCII text goes into tEXt; anything else into an uncompressed iTXt (UTF-8).
 */
import { inflateSync } from 'node:zlib';
import { BridgeError, crc32, invalidField } from '@latent-bridge/shared';

export interface PngTextEntry {
  readonly keyword: string;
  readonly text: string;
}

/** The keyword A1111 and most SD front ends use for the generation settings. */
export const PARAMETERS_KEYWORD = 'parameters';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Decompressed text larger than this is refused: a tiny zTXt chunk must not inflate into gigabytes. */
const MAX_INFLATED_TEXT = 16 * 1024 * 1024;

interface Chunk {
  readonly type: string;
  /** Offset of the length field; the chunk spans [start, end). */
  readonly start: number;
  readonly end: number;
  readonly data: Uint8Array;
}

function bad(message: string): BridgeError {
  return new BridgeError('image_invalid', `png: ${message}`, 'png');
}

/** Splits a PNG into chunks, checking the signature, lengths and (when verify is set) CRCs. */
function chunks(png: Uint8Array, verify: boolean): Chunk[] {
  if (!(png instanceof Uint8Array) || png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) {
    throw bad('missing PNG signature');
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  let pos = 8;
  while (pos < png.length) {
    if (pos + 12 > png.length) throw bad(`truncated chunk at byte ${pos}`);
    const length = view.getUint32(pos);
    const end = pos + 12 + length;
    if (length > 0x7fffffff || end > png.length) throw bad(`chunk at byte ${pos} runs past the end`);
    const type = String.fromCharCode(png[pos + 4]!, png[pos + 5]!, png[pos + 6]!, png[pos + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) throw bad(`invalid chunk type at byte ${pos}`);
    if (verify && crc32(png, pos + 4, pos + 8 + length) !== view.getUint32(pos + 8 + length)) {
      throw bad(`CRC mismatch in ${type} chunk at byte ${pos}`);
    }
    out.push({ type, start: pos, end, data: png.subarray(pos + 8, pos + 8 + length) });
    pos = end;
    if (type === 'IEND') break;
  }
  if (out[0]?.type !== 'IHDR') throw bad('first chunk is not IHDR');
  if (out[out.length - 1]?.type !== 'IEND') throw bad('no IEND chunk');
  return out;
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function latin1String(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function checkKeyword(keyword: string): void {
  const ok =
    typeof keyword === 'string' &&
    keyword.length >= 1 &&
    keyword.length <= 79 &&
    /^[\x20-\x7e\xa1-\xff]+$/.test(keyword) &&
    !keyword.startsWith(' ') &&
    !keyword.endsWith(' ') &&
    !keyword.includes('  ');
  if (!ok) throw invalidField('keyword', 'PNG keywords are 1–79 printable Latin-1 characters without leading, trailing or double spaces');
}

/**
 * tEXt is used only for printable ASCII (plus newline and tab). The PNG spec allows Latin-1 there,
 * but libvips (sharp) and many JS readers decode tEXt as UTF-8 and garble accents; iTXt is read
 * correctly by all of them and by PIL.
 */
function fitsText(text: string): boolean {
  return !/[^\t\n\x20-\x7e]/.test(text);
}

function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(latin1Bytes(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** The chunk (tEXt or iTXt) that stores entry. */
export function textChunk(entry: PngTextEntry): Uint8Array {
  checkKeyword(entry.keyword);
  if (typeof entry.text !== 'string' || entry.text.includes('\0')) throw invalidField('text', 'must be a string without NUL characters');
  const keyword = latin1Bytes(entry.keyword);
  if (fitsText(entry.text)) {
    const text = latin1Bytes(entry.text);
    const data = new Uint8Array(keyword.length + 1 + text.length);
    data.set(keyword, 0);
    data.set(text, keyword.length + 1);
    return makeChunk('tEXt', data);
  }
  // iTXt: keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, UTF-8.
  const text = new TextEncoder().encode(entry.text);
  const data = new Uint8Array(keyword.length + 5 + text.length);
  data.set(keyword, 0);
  data.set(text, keyword.length + 5);
  return makeChunk('iTXt', data);
}

/**
 * Returns a copy of png with the entries inserted right after IHDR (readers that stop at the first
 * IDAT still see them). Existing text chunks with the same keywords are removed first.
 */
export function insertPngText(png: Uint8Array, entries: readonly PngTextEntry[]): Uint8Array {
  const list = chunks(png, false);
  const keywords = new Set(entries.map((e) => e.keyword));
  const added = entries.map(textChunk);
  const kept = list.filter((c) => !(isTextChunk(c.type) && keywords.has(chunkKeyword(c.data))));
  const size = 8 + kept.reduce((n, c) => n + c.end - c.start, 0) + added.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(size);
  out.set(png.subarray(0, 8), 0);
  let pos = 8;
  for (const c of kept) {
    out.set(png.subarray(c.start, c.end), pos);
    pos += c.end - c.start;
    if (c.type === 'IHDR') {
      for (const a of added) {
        out.set(a, pos);
        pos += a.length;
      }
    }
  }
  return out;
}

function isTextChunk(type: string): boolean {
  return type === 'tEXt' || type === 'zTXt' || type === 'iTXt';
}

function chunkKeyword(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return latin1String(data.subarray(0, nul < 0 ? data.length : nul));
}

/**
 * tEXt is Latin-1 by the spec, but some writers put UTF-8 there. Non-ASCII bytes that form valid
 * UTF-8 are read as UTF-8: real Latin-1 text almost never happens to be valid UTF-8.
 */
function tEXtString(bytes: Uint8Array): string {
  if (bytes.every((b) => b < 0x80)) return latin1String(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return latin1String(bytes);
  }
}

function inflate(data: Uint8Array): Uint8Array {
  try {
    return inflateSync(data, { maxOutputLength: MAX_INFLATED_TEXT });
  } catch (err) {
    throw bad(`compressed text does not inflate (${err instanceof Error ? err.message : String(err)})`);
  }
}

function parseText(type: string, data: Uint8Array): PngTextEntry {
  const nul = data.indexOf(0);
  if (nul < 1) throw bad(`${type} chunk without keyword`);
  const keyword = latin1String(data.subarray(0, nul));
  if (type === 'tEXt') return { keyword, text: tEXtString(data.subarray(nul + 1)) };
  if (type === 'zTXt') {
    if (data[nul + 1] !== 0) throw bad('zTXt with unknown compression method');
    return { keyword, text: latin1String(inflate(data.subarray(nul + 2))) };
  }
  const compressed = data[nul + 1];
  const method = data[nul + 2];
  const langEnd = data.indexOf(0, nul + 3);
  const transEnd = langEnd < 0 ? -1 : data.indexOf(0, langEnd + 1);
  if (compressed === undefined || method === undefined || transEnd < 0) throw bad('truncated iTXt chunk');
  const body = data.subarray(transEnd + 1);
  const utf8 = compressed === 1 ? (method === 0 ? inflate(body) : null) : body;
  if (!utf8) throw bad('iTXt with unknown compression method');
  try {
    return { keyword, text: new TextDecoder('utf-8', { fatal: true }).decode(utf8) };
  } catch {
    throw bad('iTXt text is not valid UTF-8');
  }
}

/** Every tEXt, zTXt and iTXt entry in file order. Throws image_invalid on a corrupt file (CRCs checked). */
export function readPngText(png: Uint8Array): PngTextEntry[] {
  return chunks(png, true)
    .filter((c) => isTextChunk(c.type))
    .map((c) => parseText(c.type, c.data));
}

/** The A1111 "parameters" text, or null when the PNG has none. */
export function readPngParameters(png: Uint8Array): string | null {
  return readPngText(png).find((e) => e.keyword === PARAMETERS_KEYWORD)?.text ?? null;
}

/** Single-entry form of insertPngText. */
export function insertTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array {
  return insertPngText(png, [{ keyword, text }]);
}
