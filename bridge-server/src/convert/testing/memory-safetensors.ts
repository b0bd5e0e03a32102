/**
 * TEST ONLY: a whole-file, unvalidated safetensors TensorSource for reading fixtures this project's
 * own Python writes, until the checkpoint readers (checkpoint/) are on main. Production code reads
 * checkpoints through checkpoint/'s streaming, validating readers, never through this.
 */
import { readFile } from 'node:fs/promises';
import type { StoredDType, TensorEntry, TensorSource } from '../../checkpoint/tensor-source.js';
import { float16ArrayToFloat32 } from '../../numeric/float16.js';

interface Stored {
  entry: TensorEntry;
  begin: number;
}

export class MemorySafetensors implements TensorSource {
  private constructor(
    readonly file: string,
    readonly metadata: Readonly<Record<string, string>>,
    private readonly bytes: Uint8Array,
    private readonly tensors: Map<string, Stored>,
  ) {}

  static async open(file: string): Promise<MemorySafetensors> {
    const bytes = new Uint8Array(await readFile(file));
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
    const tensors = new Map<string, Stored>();
    let metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(header)) {
      if (key === '__metadata__') {
        metadata = value as Record<string, string>;
        continue;
      }
      const v = value as { dtype: StoredDType; shape: number[]; data_offsets: [number, number] };
      const [begin, end] = v.data_offsets;
      tensors.set(key, { entry: { key, dtype: v.dtype, shape: v.shape, byteLength: end - begin }, begin: 8 + headerLength + begin });
    }
    return new MemorySafetensors(file, metadata, bytes, tensors);
  }

  keys(): readonly string[] {
    return [...this.tensors.keys()];
  }

  entry(key: string): TensorEntry | undefined {
    return this.tensors.get(key)?.entry;
  }

  async readRaw(key: string): Promise<Uint8Array> {
    const t = this.stored(key);
    return this.bytes.slice(t.begin, t.begin + t.entry.byteLength);
  }

  async readFloat32(key: string): Promise<Float32Array> {
    const t = this.stored(key);
    const raw = await this.readRaw(key);
    switch (t.entry.dtype) {
      case 'F32':
        return new Float32Array(raw.buffer);
      case 'F16':
        return float16ArrayToFloat32(new Uint16Array(raw.buffer));
      case 'I64':
        return Float32Array.from(new BigInt64Array(raw.buffer), (v) => Number(v));
      default:
        throw new Error(`${this.file}: ${key} is ${t.entry.dtype}, which this test reader does not convert`);
    }
  }

  async close(): Promise<void> {}

  private stored(key: string): Stored {
    const t = this.tensors.get(key);
    if (t === undefined) throw new Error(`${this.file} has no tensor ${key}`);
    return t;
  }
}
