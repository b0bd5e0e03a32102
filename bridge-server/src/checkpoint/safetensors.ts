/**
 * Reads a .safetensors file lazily: the header is parsed and validated at open, each tensor is
 * one positioned read on the file's one handle when asked for.
 */
import { invalidCheckpoint } from './checkpoint-error.js';
import { toFloat32 } from './dtypes.js';
import { PositionedFile } from './positioned-file.js';
import { headerLengthOf, parseSafetensorsHeader, type SafetensorsEntry, type SafetensorsHeader } from './safetensors-header.js';
import { ScratchBytes } from './scratch-bytes.js';
import type { TensorSource } from './tensor-source.js';

export type { SafetensorsEntry } from './safetensors-header.js';

export class SafetensorsFile implements TensorSource {
  readonly metadata: Readonly<Record<string, string>>;
  /** Bytes of the JSON header (without the 8-byte length). */
  readonly headerLength: number;
  /** File offset where the data area starts (8 + headerLength). */
  readonly dataOffset: number;
  private readonly byKey: ReadonlyMap<string, SafetensorsEntry>;
  private readonly order: readonly string[];
  private readonly scratch = new ScratchBytes();

  private constructor(
    private readonly reader: PositionedFile,
    header: SafetensorsHeader,
  ) {
    this.metadata = header.metadata;
    this.headerLength = header.headerLength;
    this.dataOffset = header.dataOffset;
    this.byKey = new Map(header.entries.map((e) => [e.key, e]));
    this.order = Object.freeze(header.entries.map((e) => e.key));
  }

  static async open(file: string): Promise<SafetensorsFile> {
    const reader = await PositionedFile.open(file);
    try {
      const first8 = await reader.read(0, Math.min(8, reader.size), 'header length');
      const headerLength = headerLengthOf(file, first8, reader.size);
      const json = await reader.read(8, headerLength, 'header');
      const header = parseSafetensorsHeader(file, json, reader.size - 8 - headerLength);
      return new SafetensorsFile(reader, header);
    } catch (err) {
      await reader.close();
      throw err;
    }
  }

  get file(): string {
    return this.reader.file;
  }

  /** Size of the whole file in bytes. */
  get fileSize(): number {
    return this.reader.size;
  }

  /** Keys in the order their bytes lie in the file. */
  keys(): readonly string[] {
    return this.order;
  }

  entry(key: string): SafetensorsEntry | undefined {
    return this.byKey.get(key);
  }

  private need(key: string): SafetensorsEntry {
    const e = this.byKey.get(key);
    if (e === undefined) throw invalidCheckpoint(this.file, 'no such tensor in the file', key);
    return e;
  }

  /** Reads one tensor's stored bytes into `target` (exactly its byteLength long). */
  async readRawInto(key: string, target: Uint8Array): Promise<Uint8Array> {
    const e = this.need(key);
    if (target.byteLength !== e.byteLength) throw new RangeError(`readRawInto ${key}: target has ${target.byteLength} bytes, tensor ${e.byteLength}`);
    return this.reader.readInto(target, this.dataOffset + e.begin, key);
  }

  readRaw(key: string): Promise<Uint8Array> {
    return this.readRawInto(key, new Uint8Array(this.need(key).byteLength));
  }

  /** One tensor as float32, written into `out` (exactly its element count long). */
  async readFloat32Into(key: string, out: Float32Array): Promise<Float32Array> {
    const e = this.need(key);
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (out.length !== count) throw new RangeError(`readFloat32Into ${key}: target has ${out.length} elements, tensor ${count}`);
    if (e.dtype === 'F32') {
      // Straight into the result: no intermediate copy.
      await this.reader.readInto(new Uint8Array(out.buffer, out.byteOffset, e.byteLength), this.dataOffset + e.begin, key);
      return out;
    }
    const raw = this.scratch.take(e.byteLength);
    try {
      await this.reader.readInto(raw, this.dataOffset + e.begin, key);
      toFloat32(e.dtype, raw, out);
    } finally {
      this.scratch.give(raw);
    }
    return out;
  }

  readFloat32(key: string): Promise<Float32Array> {
    const e = this.need(key);
    return this.readFloat32Into(key, new Float32Array(e.shape.reduce((a, b) => a * b, 1)));
  }

  async close(): Promise<void> {
    this.scratch.clear();
    await this.reader.close();
  }
}

/** Opens and validates a .safetensors file (header only; tensors are read on demand). */
export function openSafetensors(file: string): Promise<SafetensorsFile> {
  return SafetensorsFile.open(file);
}
