/** An initializer's stored bytes: eager data narrowed to its type, or a lazy weight read now. */
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { float32ArrayToFloat16 } from '../numeric/float16.js';
import type { LazyTensor } from './lazy-tensor.js';
import { BYTES_PER_ELEMENT, type OnnxDataType } from './onnx-proto.js';

export type InitializerData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface InitializerRecord {
  name: string;
  dataType: OnnxDataType;
  dims: readonly number[];
  /** Float data is kept as float32 and narrowed to float16 at serialization when the type says so. */
  data: InitializerData | LazyTensor;
}

export function isEager(data: InitializerRecord['data']): data is InitializerData {
  return ArrayBuffer.isView(data);
}

export function byteSize(init: InitializerRecord): number {
  return init.dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[init.dataType];
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('ONNX raw_data is little-endian; this host is not');
}

function viewBytes(typed: ArrayBufferView, init: InitializerRecord): Uint8Array {
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  if (bytes.length !== byteSize(init)) throw new RangeError(`${init.name}: ${init.dataType} data does not match its dims`);
  return bytes;
}

export function eagerBytes(init: InitializerRecord, data: InitializerData): Uint8Array {
  checkLittleEndian();
  const typed = init.dataType === 'float16' ? float32ArrayToFloat16(data as Float32Array) : data;
  return viewBytes(typed, init);
}

export async function lazyBytes(init: InitializerRecord, tensor: LazyTensor): Promise<Uint8Array> {
  checkLittleEndian();
  if (init.dataType !== 'float32' && init.dataType !== 'float16') throw new RangeError(`${init.name}: lazy weights are float`);
  return viewBytes(await tensor.read(init.dataType), init);
}

export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('external data write made no progress');
    done += bytesWritten;
  }
}

