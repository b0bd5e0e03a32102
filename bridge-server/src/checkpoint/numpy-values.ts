/**
 * The numpy values Lightning and A1111 checkpoints carry (metric scalars, small arrays), as numpy
 * pickles them: numpy.dtype(spec) then BUILD with the byte order; scalar(dtype, bytes);
 * _reconstruct(ndarray, ...) then BUILD with (version, shape, dtype, fortran, bytes). Inert data.
 */
import { halfToNumber } from './dtypes.js';
import { PyOpaque, PyTuple, type PyValue } from './pickle/values.js';
import type { StoredDType } from './tensor-source.js';

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

/** numpy.dtype('f8') / ('<i4') / ...: plain numeric dtypes only. */
export function numpyDType(spec: PyValue | undefined): NumpyDType | undefined {
  if (typeof spec !== 'string' || !/^[<>=|]?[fiub]\d{1,2}$/.test(spec)) return undefined;
  const dt = new NumpyDType(spec.replace(/^[<>=|]/, ''));
  if (/^[<>]/.test(spec)) dt.byteOrder = spec[0]!;
  return dt;
}

/** BUILD on a dtype: (version, byteorder, subarray, names, fields, elsize, alignment, flags). */
export function setDTypeState(target: NumpyDType, state: PyValue): boolean {
  if (!(state instanceof PyTuple) || typeof state.items[1] !== 'string') return false;
  target.byteOrder = state.items[1];
  return true;
}

/** BUILD on an array: (version, shape, dtype, is_fortran, raw bytes). */
export function setArrayState(target: NumpyArray, state: PyValue): boolean {
  const [, shape, dtype, fortran, raw] = state instanceof PyTuple ? state.items : [];
  const dims = shape instanceof PyTuple ? shape.items : undefined;
  if (dims === undefined || !dims.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) return false;
  if (!(dtype instanceof NumpyDType) || !(raw instanceof Uint8Array)) return false;
  target.shape = dims as number[];
  target.dtype = dtype;
  target.fortranOrder = fortran === true;
  target.data = raw;
  return true;
}

/** numpy.core.multiarray.scalar(dtype, bytes) as a JS value; undefined for kinds not read. */
export function numpyScalar(dtype: NumpyDType, raw: Uint8Array): number | bigint | boolean | undefined {
  const kind = dtype.spec[0];
  const size = Number(dtype.spec.slice(1));
  if (raw.byteLength !== size) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const little = dtype.byteOrder !== '>';
  let v: number | bigint | boolean | undefined;
  if (kind === 'b' && size === 1) v = raw[0] !== 0;
  else if (kind === 'f' && size === 8) v = view.getFloat64(0, little);
  else if (kind === 'f' && size === 4) v = view.getFloat32(0, little);
  else if (kind === 'f' && size === 2) v = halfToNumber(view.getUint16(0, little));
  else if (kind === 'i' && size === 1) v = view.getInt8(0);
  else if (kind === 'i' && size === 2) v = view.getInt16(0, little);
  else if (kind === 'i' && size === 4) v = view.getInt32(0, little);
  else if (kind === 'i' && size === 8) v = view.getBigInt64(0, little);
  else if (kind === 'u' && size === 1) v = view.getUint8(0);
  else if (kind === 'u' && size === 2) v = view.getUint16(0, little);
  else if (kind === 'u' && size === 4) v = view.getUint32(0, little);
  else if (kind === 'u' && size === 8) v = view.getBigUint64(0, little);
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return v;
}

const STORED: Readonly<Record<string, StoredDType>> = {
  f8: 'F64', f4: 'F32', f2: 'F16', i8: 'I64', i4: 'I32', i2: 'I16', i1: 'I8', u1: 'U8', b1: 'BOOL',
};

/** The stored dtype of a numpy array's bytes (little-endian only), or undefined. */
export function numpyStoredDType(dtype: NumpyDType): StoredDType | undefined {
  return dtype.byteOrder === '>' ? undefined : STORED[dtype.spec];
}
