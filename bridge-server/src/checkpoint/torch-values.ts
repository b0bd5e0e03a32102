/**
 * The inert values a torch pickle turns into: storage types and dtypes named by the pickle,
 * storages (references to zip entries), tensors (a storage plus offset, shape and stride), and
 * the few numpy values Lightning checkpoints carry. None of them does anything.
 */
import { PyOpaque } from './pickle/values.js';
import type { StoredDType } from './tensor-source.js';

/** torch's legacy storage classes (what torch.save names in persistent ids, 1.6 through 2.x). */
export const STORAGE_TYPES: Readonly<Record<string, StoredDType | 'untyped' | null>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  // torch >= 2.1 saves dtypes without a legacy class (float8, uint16...) as UntypedStorage + dtype.
  UntypedStorage: 'untyped',
  // Known to torch, never in a diffusion checkpoint: named so the refusal can say what they are.
  ComplexFloatStorage: null,
  ComplexDoubleStorage: null,
  QUInt8Storage: null,
  QInt8Storage: null,
  QInt32Storage: null,
  QUInt4x2Storage: null,
  QUInt2x4Storage: null,
};

/** torch dtype objects (`torch.float16` pickles as GLOBAL torch float16). */
export const TORCH_DTYPES: Readonly<Record<string, StoredDType | null>> = {
  float64: 'F64',
  double: 'F64',
  float32: 'F32',
  float: 'F32',
  float16: 'F16',
  half: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  long: 'I64',
  int32: 'I32',
  int: 'I32',
  int16: 'I16',
  short: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
  float8_e4m3fn: 'F8_E4M3',
  float8_e5m2: 'F8_E5M2',
  float8_e4m3fnuz: null,
  float8_e5m2fnuz: null,
  float8_e8m0fnu: null,
  float4_e2m1fn_x2: null,
  uint16: null,
  uint32: null,
  uint64: null,
  complex32: null,
  complex64: null,
  complex128: null,
  qint8: null,
  quint8: null,
  qint32: null,
  quint4x2: null,
  quint2x4: null,
};

export class TorchStorageType extends PyOpaque {
  constructor(
    readonly name: string,
    readonly dtype: StoredDType | 'untyped' | null,
  ) {
    super();
  }
  describe(): string {
    return `torch.${this.name}`;
  }
}

export class TorchDType extends PyOpaque {
  constructor(
    readonly name: string,
    readonly dtype: StoredDType | null,
  ) {
    super();
  }
  describe(): string {
    return `torch.${this.name}`;
  }
}

/** A persistent id resolved: the zip entry `<root>/data/<key>` holding `numel` elements (bytes if untyped). */
export class TorchStorage extends PyOpaque {
  constructor(
    readonly key: string,
    readonly type: TorchStorageType,
    readonly numel: number,
    readonly location: string,
  ) {
    super();
  }
  describe(): string {
    return `${this.type.describe()} "${this.key}"`;
  }
}

/** Bytes a pickle carries inline (numpy arrays rebuilt into tensors). */
export class InlineBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** A tensor view: `shape`/`stride` in elements over `source` from element `offset`. */
export class TorchTensor extends PyOpaque {
  constructor(
    readonly source: TorchStorage | InlineBytes,
    readonly dtype: StoredDType,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    super();
  }
  describe(): string {
    return `tensor ${this.dtype}[${this.shape.join(', ')}]`;
  }
}

/** numpy.dtype('<f8') and friends: kind letter and size, byte order set by BUILD. */
export class NumpyDType extends PyOpaque {
  byteOrder = '=';
  constructor(readonly spec: string) {
    super();
  }
  describe(): string {
    return `numpy.dtype('${this.spec}')`;
  }
}

/** numpy.ndarray as numpy pickles it (_reconstruct, then BUILD with shape, dtype and raw bytes). */
export class NumpyArray extends PyOpaque {
  shape: readonly number[] = [];
  dtype: NumpyDType | undefined = undefined;
  fortranOrder = false;
  data: Uint8Array | undefined = undefined;
  describe(): string {
    return `numpy array ${this.dtype?.spec ?? '?'}[${this.shape.join(', ')}]`;
  }
}
