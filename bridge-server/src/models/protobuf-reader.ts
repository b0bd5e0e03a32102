/**
 * Just enough protobuf wire-format reading to walk an ONNX file without decoding it: fields are
 * visited by tag, and large length-delimited payloads (weights) are skipped by offset, so a 2 GB
 * model costs a few hundred small reads instead of a full load.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** One field: for bytes fields [start, end) is the payload, for the others `value` holds it. */
export interface ProtoField {
  field: number;
  wire: number;
  value: number;
  start: number;
  end: number;
}

const MAX_HEADER = 20; // tag (<= 5 bytes) + length varint (<= 10 bytes)

/** Reads a varint at buf[pos]; returns [value, nextPos]. 64-bit values wrap to signed like int64. */
export function readVarint(buf: Uint8Array, pos: number, absolute = pos): [number, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    const byte = buf[pos + i];
    if (byte === undefined) throw new ProtobufError(`truncated varint at byte ${absolute}`);
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [Number(BigInt.asIntN(64, result)), pos + i + 1];
    shift += 7n;
  }
  throw new ProtobufError(`varint longer than 10 bytes at byte ${absolute}`);
}

/**
 * Decodes the field header at buf[pos] (buf starting at absolute offset `base`) and checks the
 * field stays inside `limit` (an absolute offset).
 */
function fieldAt(buf: Uint8Array, pos: number, base: number, limit: number): ProtoField {
  const at = base + pos;
  const [tag, afterTag] = readVarint(buf, pos, at);
  const field = Math.floor(tag / 8);
  const wire = tag & 7;
  if (field <= 0) throw new ProtobufError(`invalid field number 0 at byte ${at}`);
  let value = 0;
  let start = base + afterTag;
  let end: number;
  switch (wire) {
    case WireType.varint: {
      const [v, next] = readVarint(buf, afterTag, base + afterTag);
      value = v;
      end = base + next;
      break;
    }
    case WireType.fixed64:
      end = start + 8;
      break;
    case WireType.fixed32:
      end = start + 4;
      break;
    case WireType.bytes: {
      const [len, next] = readVarint(buf, afterTag, base + afterTag);
      if (len < 0) throw new ProtobufError(`negative length at byte ${at}`);
      value = len;
      start = base + next;
      end = start + len;
      break;
    }
    default:
      throw new ProtobufError(`unsupported wire type ${wire} (field ${field}) at byte ${at}`);
  }
  if (end > limit) throw new ProtobufError(`field ${field} at byte ${at} runs past its message end (${limit})`);
  return { field, wire, value, start, end };
}

/** Iterates the fields of a message held in memory; `base` is buf's absolute offset (for messages). */
export function* fieldsIn(buf: Uint8Array, base = 0): Generator<ProtoField> {
  let pos = 0;
  while (pos < buf.length) {
    const f = fieldAt(buf, pos, base, base + buf.length);
    yield f;
    pos = f.end - base;
  }
}

/** The payload of a bytes field found by fieldsIn over `buf` (at absolute offset `base`). */
export function payload(buf: Uint8Array, f: ProtoField, base = 0): Uint8Array {
  return buf.subarray(f.start - base, f.end - base);
}

export function decodeString(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Positioned reads through a small cache window, so walking consecutive small fields stays cheap. */
export class FileWindow {
  private buf = new Uint8Array(0);
  private bufStart = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(file: string): Promise<FileWindow> {
    const handle = await open(file, 'r');
    const { size } = await handle.stat();
    return new FileWindow(handle, size);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  async bytes(offset: number, length: number): Promise<Uint8Array> {
    if (offset >= this.bufStart && offset + length <= this.bufStart + this.buf.length) {
      return this.buf.subarray(offset - this.bufStart, offset - this.bufStart + length);
    }
    const n = Math.max(0, Math.min(Math.max(length, 64 * 1024), this.size - offset));
    const buf = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const { bytesRead } = await this.handle.read(buf, filled, n - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.buf = buf.subarray(0, filled);
    this.bufStart = offset;
    return this.buf.subarray(0, Math.min(length, filled));
  }

  /** Iterates the fields in [start, end) of the file without loading the payloads. */
  async *fields(start: number, end: number): AsyncGenerator<ProtoField> {
    let pos = start;
    while (pos < end) {
      const head = await this.bytes(pos, Math.min(MAX_HEADER, end - pos));
      const f = fieldAt(head, 0, pos, end);
      yield f;
      pos = f.end;
    }
  }
}
