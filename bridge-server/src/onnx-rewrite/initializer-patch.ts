/**
 * Copies of an ONNX model with some float initializers replaced (LoRA-merged weights): the model
 * file is streamed field by field, unchanged initializers keep their bytes (and so their
 * external-data references into the original `model.onnx_data`), and each replaced one becomes a
 * reference into a new data file holding only the changed tensors. A LoRA set on a full-size UNet
 * then costs the changed weights' bytes, not a copy of the model.
 */
import { randomUUID } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../numeric/float16.js';
import { tensorProto } from '../onnx/onnx-proto.js';
import { decodeString, fieldsIn, FileWindow, payload, WireType, type ProtoField } from '../models/protobuf-reader.js';
import { copyField, pieceLength, writePieces, type Piece } from './graph-stream.js';
import { lengthHeader, ONNX } from './proto-bytes.js';

const GRAPH_INITIALIZER = 5;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9, externalData: 13, dataLocation: 14 } as const;
const FLOAT = 1;
const FLOAT16 = 10;

export interface StoredInitializer {
  name: string;
  dataType: 'float32' | 'float16';
  dims: readonly number[];
  /** Where the little-endian values are: the model file's raw_data or an external data file. */
  file: string;
  offset: number;
  length: number;
}

function entry(buf: Uint8Array): [string, string] {
  let key = '';
  let value = '';
  for (const f of fieldsIn(buf)) {
    if (f.field === 1 && f.wire === WireType.bytes) key = decodeString(payload(buf, f));
    if (f.field === 2 && f.wire === WireType.bytes) value = decodeString(payload(buf, f));
  }
  return [key, value];
}

async function readTensorOutline(win: FileWindow, model: string, g: ProtoField): Promise<StoredInitializer | undefined> {
  let name = '';
  let type = 0;
  const dims: number[] = [];
  let raw: [number, number] | undefined;
  const external = new Map<string, string>();
  for await (const f of win.fields(g.start, g.end)) {
    if (f.field === TENSOR.dims && f.wire === WireType.varint) dims.push(f.value);
    else if (f.field === TENSOR.dims && f.wire === WireType.bytes) {
      const packed = (await win.bytes(f.start, f.end - f.start)).slice();
      for (let pos = 0; pos < packed.length; ) {
        let v = 0;
        let shift = 0;
        let b = 0;
        do {
          b = packed[pos++] ?? 0;
          v += (b & 0x7f) * 2 ** shift;
          shift += 7;
        } while (b & 0x80);
        dims.push(v);
      }
    } else if (f.field === TENSOR.dataType && f.wire === WireType.varint) type = f.value;
    else if (f.field === TENSOR.name && f.wire === WireType.bytes) name = decodeString((await win.bytes(f.start, f.end - f.start)).slice());
    else if (f.field === TENSOR.rawData && f.wire === WireType.bytes) raw = [f.start, f.end - f.start];
    else if (f.field === TENSOR.externalData && f.wire === WireType.bytes) {
      const [k, v] = entry((await win.bytes(f.start, f.end - f.start)).slice());
      external.set(k, v);
    }
  }
  if (type !== FLOAT && type !== FLOAT16) return undefined;
  const dataType = type === FLOAT ? 'float32' : 'float16';
  const bytes = dims.reduce((a, b) => a * b, 1) * (type === FLOAT ? 4 : 2);
  const location = external.get('location');
  if (location !== undefined) {
    return { name, dataType, dims, file: path.join(path.dirname(model), location), offset: Number(external.get('offset') ?? '0'), length: Number(external.get('length') ?? bytes) };
  }
  if (raw === undefined || raw[1] !== bytes) return undefined;
  return { name, dataType, dims, file: model, offset: raw[0], length: raw[1] };
}

/** The float initializers of a model, by name (tensors stored as float_data lists are left out). */
export async function listFloatInitializers(model: string): Promise<Map<string, StoredInitializer>> {
  const found = new Map<string, StoredInitializer>();
  const win = await FileWindow.open(model);
  try {
    for await (const f of win.fields(0, win.size)) {
      if (f.field !== ONNX.model.graph || f.wire !== WireType.bytes) continue;
      for await (const g of win.fields(f.start, f.end)) {
        if (g.field !== GRAPH_INITIALIZER || g.wire !== WireType.bytes) continue;
        const init = await readTensorOutline(win, model, g);
        if (init !== undefined) found.set(init.name, init);
      }
    }
  } finally {
    await win.close();
  }
  return found;
}

/** One initializer's values as float32. */
export async function readInitializer(init: StoredInitializer): Promise<Float32Array> {
  const handle = await open(init.file, 'r');
  try {
    const bytes = new Uint8Array(init.length);
    const { bytesRead } = await handle.read(bytes, 0, init.length, init.offset);
    if (bytesRead !== init.length) throw new Error(`${init.file}: ${init.name} is cut short (${bytesRead} of ${init.length} bytes)`);
    if (init.dataType === 'float32') return new Float32Array(bytes.buffer, 0, init.length / 4);
    return float16ArrayToFloat32(new Uint16Array(bytes.buffer, 0, init.length / 2));
  } finally {
    await handle.close();
  }
}

const ALIGN = 4096;

/**
 * Writes `dst` (in the source's folder, so its other external references still resolve) as `src`
 * with each initializer in `names` stored in `dataName` (beside it) instead, in the initializer's
 * own type, with the values `produce` makes for it (asked one at a time, so only one changed
 * weight is in memory). Returns the bytes written to the data file.
 */
export async function writePatchedModel(
  src: string,
  dst: string,
  dataName: string,
  names: readonly string[],
  /** The new values; with `dims`, the initializer changes shape (a token table grown by embeddings). */
  produce: (init: StoredInitializer) => Promise<Float32Array | { values: Float32Array; dims: readonly number[] }>,
  initializers: ReadonlyMap<string, StoredInitializer>,
): Promise<number> {
  if (path.dirname(path.resolve(src)) !== path.dirname(path.resolve(dst))) throw new RangeError('a patched model must sit beside its source');
  const dataFile = path.join(path.dirname(dst), dataName);
  // Processes sharing a model folder (queue workers, a bridge beside them) may patch the same model
  // at once: each writes its own temporary file, and the identical results replace one another.
  const temp = `${dataFile}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const data = await open(temp, 'w');
  const placed = new Map<string, Uint8Array>();
  let at = 0;
  try {
    for (const name of names) {
      const init = initializers.get(name);
      if (init === undefined) throw new RangeError(`${src} has no float initializer ${name}`);
      const made = await produce(init);
      const [v, dims] = made instanceof Float32Array ? [made, init.dims] : [made.values, made.dims];
      const typed = init.dataType === 'float32' ? v : float32ArrayToFloat16(v);
      const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
      const expected = dims.reduce((a, b) => a * b, 1) * (init.dataType === 'float32' ? 4 : 2);
      if (bytes.length !== expected) throw new RangeError(`${name}: ${bytes.length} bytes for a [${dims.join(', ')}] ${init.dataType} initializer`);
      at = Math.ceil(at / ALIGN) * ALIGN;
      await data.write(bytes, 0, bytes.length, at);
      placed.set(name, tensorProto({ name, dataType: init.dataType, dims, external: { location: dataName, offset: at, length: bytes.length } }).finish());
      at += bytes.length;
    }
    await data.sync();
  } finally {
    await data.close();
  }
  const top: Piece[] = [];
  const win = await FileWindow.open(src);
  try {
    for await (const f of win.fields(0, win.size)) {
      if (f.field !== ONNX.model.graph || f.wire !== WireType.bytes) {
        top.push(...copyField(f));
        continue;
      }
      const graph: Piece[] = [];
      for await (const g of win.fields(f.start, f.end)) {
        const init = g.field === GRAPH_INITIALIZER && g.wire === WireType.bytes ? await readTensorOutline(win, src, g) : undefined;
        const replacement = init === undefined ? undefined : placed.get(init.name);
        if (replacement === undefined) graph.push(...copyField(g));
        else graph.push(lengthHeader(GRAPH_INITIALIZER, replacement.length), replacement);
      }
      top.push(lengthHeader(ONNX.model.graph, graph.reduce((s, p) => s + pieceLength(p), 0)), ...graph);
    }
  } finally {
    await win.close();
  }
  await rename(temp, dataFile);
  await writePieces(src, dst, top);
  return at;
}
