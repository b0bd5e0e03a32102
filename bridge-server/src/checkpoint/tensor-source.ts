/**
 * What every checkpoint reader offers: the tensors of one file, listed from its header (or pickle)
 * and read one at a time on demand, so a multi-gigabyte checkpoint never sits in memory whole.
 */

/** Element types as safetensors names them; PyTorch storages map onto the same set. */
export type StoredDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL' | 'F8_E4M3' | 'F8_E5M2';

export interface TensorEntry {
  readonly key: string;
  readonly dtype: StoredDType;
  readonly shape: readonly number[];
  readonly byteLength: number;
}

export interface TensorSource {
  /** The file the tensors come from, for messages. */
  readonly file: string;
  /** safetensors' __metadata__ string map; {} where the format has none. */
  readonly metadata: Readonly<Record<string, string>>;
  keys(): readonly string[];
  entry(key: string): TensorEntry | undefined;
  /** The stored little-endian bytes of one tensor, contiguous in row-major order. */
  readRaw(key: string): Promise<Uint8Array>;
  /** readRaw into a caller's array of exactly the tensor's byteLength (readers that can avoid a fresh array). */
  readRawInto?(key: string, target: Uint8Array): Promise<Uint8Array>;
  /** One tensor's values converted to float32 (integers and narrower/wider floats alike). */
  readFloat32(key: string): Promise<Float32Array>;
  /** readFloat32 into a caller's array of exactly the element count (readers that can avoid a fresh array). */
  readFloat32Into?(key: string, out: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}
