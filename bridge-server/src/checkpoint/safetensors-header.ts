/**
 * The safetensors header: 8-byte little-endian length N, N bytes of JSON
 * (`{key: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`), then the
 * data area, which the offsets index from its start. Everything in it is checked here, before any
 * tensor is read: a lying header is refused with the tensor it lies about.
 */
import { invalidCheckpoint } from './checkpoint-error.js';
import { DTYPE_SIZE, isStoredDType, shapeNumel } from './dtypes.js';
import type { TensorEntry } from './tensor-source.js';

/** safetensors' own limit (MAX_HEADER_SIZE in the Rust crate): 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry extends TensorEntry {
  /** Offsets in the data area, as the header gives them. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly headerLength: number;
  /** File offset of the data area: 8 + headerLength. */
  readonly dataOffset: number;
  readonly metadata: Readonly<Record<string, string>>;
  /** In data order (ascending begin), which is also the fastest order to read them in. */
  readonly entries: readonly SafetensorsEntry[];
}

/** The header length from the first 8 bytes, checked against the file size. */
export function headerLengthOf(file: string, first8: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || first8.byteLength < 8) throw invalidCheckpoint(file, `only ${fileSize} bytes; a safetensors file starts with an 8-byte header length`);
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw invalidCheckpoint(file, `header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or a corrupt one)`);
  const length = Number(n);
  if (length < 2) throw invalidCheckpoint(file, `header length ${length} is too short for a JSON object`);
  if (8 + length > fileSize) throw invalidCheckpoint(file, `header length ${length} runs past the end of the ${fileSize}-byte file (truncated?)`);
  return length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseEntry(file: string, key: string, raw: unknown, dataLength: number): SafetensorsEntry {
  if (!isRecord(raw)) throw invalidCheckpoint(file, 'header entry is not an object', key);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isStoredDType(dtype)) {
    throw invalidCheckpoint(file, `unsupported dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_SIZE).join(' ')})`, key);
  }
  if (!Array.isArray(shape) || !shape.every((d): d is number => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw invalidCheckpoint(file, `shape ${JSON.stringify(shape)} is not a list of non-negative integers`, key);
  }
  const numel = shapeNumel(shape);
  if (numel === undefined) throw invalidCheckpoint(file, `shape ${JSON.stringify(shape)} has too many elements`, key);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
    throw invalidCheckpoint(file, `data_offsets ${JSON.stringify(offsets)} is not [begin, end] with non-negative integers`, key);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw invalidCheckpoint(file, `data_offsets [${begin}, ${end}] end before they begin`, key);
  if (end > dataLength) {
    throw invalidCheckpoint(file, `data_offsets [${begin}, ${end}] run past the data area's ${dataLength} bytes (truncated file?)`, key);
  }
  const byteLength = numel * DTYPE_SIZE[dtype];
  if (end - begin !== byteLength) {
    throw invalidCheckpoint(file, `data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${byteLength}`, key);
  }
  return { key, dtype, shape: Object.freeze([...shape]), byteLength, begin, end };
}

function parseMetadata(file: string, raw: unknown): Record<string, string> {
  if (!isRecord(raw)) throw invalidCheckpoint(file, '__metadata__ is not an object of strings');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw invalidCheckpoint(file, `__metadata__ value for "${k}" is a ${v === null ? 'null' : typeof v}, not a string`);
    out[k] = v;
  }
  return out;
}

/**
 * Parses and validates the JSON header. `dataLength` is the size of the data area (file size
 * minus 8 minus the header length).
 */
export function parseSafetensorsHeader(file: string, json: Uint8Array, dataLength: number): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw invalidCheckpoint(file, 'the safetensors header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw invalidCheckpoint(file, 'the safetensors header does not start with "{"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalidCheckpoint(file, `the safetensors header is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(parsed)) throw invalidCheckpoint(file, 'the safetensors header is not a JSON object');
  let metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: SafetensorsEntry[] = [];
  for (const [key, raw] of Object.entries(parsed)) {
    if (key === '__metadata__') metadata = parseMetadata(file, raw);
    else entries.push(parseEntry(file, key, raw, dataLength));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  // Sorted by begin, a tensor overlaps an earlier one exactly when it starts before the furthest
  // end reached so far. Empty tensors occupy no bytes and may sit anywhere.
  let reach: SafetensorsEntry | undefined;
  for (const cur of entries) {
    if (cur.byteLength === 0) continue;
    if (reach !== undefined && cur.begin < reach.end) {
      throw invalidCheckpoint(file, `bytes [${cur.begin}, ${cur.end}) overlap tensor "${reach.key}" [${reach.begin}, ${reach.end})`, cur.key);
    }
    if (reach === undefined || cur.end > reach.end) reach = cur;
  }
  const headerLength = json.byteLength;
  return { headerLength, dataOffset: 8 + headerLength, metadata: Object.freeze(metadata), entries };
}
