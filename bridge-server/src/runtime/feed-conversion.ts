/**
 * Checks caller feeds against what a session declares and converts them to the declared element
 * types. The pipeline always speaks float32 / int32 / numbers; exported models differ (int32 vs
 * int64 ids, int64 / float / float16 timesteps of shape [], [1] or [batch], fp16 weights), and
 * this is the one place that absorbs those differences.
 */
import { BridgeError } from '@latent-bridge/shared';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../numeric/float16.js';
import {
  describeShape,
  dtypeOfData,
  elementCount,
  type FeedValue,
  type HostTensor,
  type HostTensorData,
  type OutputTensor,
  type TensorDType,
  type TensorInfo,
} from './tensor-types.js';

/** A feed ready for onnxruntime: data already in the declared type, concrete dims. */
export interface PreparedFeed {
  dtype: TensorDType;
  data: HostTensorData;
  dims: number[];
}

const NUMERIC: ReadonlySet<TensorDType> = new Set<TensorDType>([
  'float32',
  'float16',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
]);

function sourceDtype(t: HostTensor): TensorDType {
  if (t.dtype === undefined) return dtypeOfData(t.data);
  return t.dtype;
}

function mismatch(label: string, info: TensorInfo, got: string): BridgeError {
  return new BridgeError(
    'tensor_mismatch',
    `${label} input "${info.name}": expected ${info.dtype} ${describeShape(info.dims)}, got ${got}`,
    info.name,
  );
}

/** Reads any host tensor as plain numbers (float16 bits decoded, int64 narrowed). */
function toNumbers(data: HostTensorData, dtype: TensorDType): ArrayLike<number> {
  if (dtype === 'float16' && data instanceof Uint16Array) return float16ArrayToFloat32(data);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i] ?? 0n);
    return out;
  }
  return data;
}

/**
 * Float -> integer the way diffusers' ONNX pipeline does it (numpy astype: toward zero), except
 * that values within float noise of an integer snap to it (999.99999 is timestep 1000, not 999).
 */
export function toInteger(v: number): number {
  const nearest = Math.round(v);
  return Math.abs(v - nearest) < 1e-4 ? nearest : Math.trunc(v);
}

function fromNumbers(values: ArrayLike<number>, dtype: TensorDType): HostTensorData {
  const n = values.length;
  const round = (i: number): number => toInteger(values[i] ?? 0);
  switch (dtype) {
    case 'float32':
      return values instanceof Float32Array ? values : Float32Array.from(values);
    case 'float16':
      return float32ArrayToFloat16(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(round(i));
      return out;
    }
    case 'uint64': {
      const out = new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(Math.max(0, round(i)));
      return out;
    }
    case 'int32':
      return Int32Array.from({ length: n }, (_, i) => round(i));
    case 'uint32':
      return Uint32Array.from({ length: n }, (_, i) => round(i));
    case 'int16':
      return Int16Array.from({ length: n }, (_, i) => round(i));
    case 'uint16':
      return Uint16Array.from({ length: n }, (_, i) => round(i));
    case 'int8':
      return Int8Array.from({ length: n }, (_, i) => round(i));
    default:
      return Uint8Array.from({ length: n }, (_, i) => round(i));
  }
}

function convertData(data: HostTensorData, from: TensorDType, to: TensorDType): HostTensorData {
  if (from === to) return data;
  if (from === 'int32' && to === 'int64' && data instanceof Int32Array) {
    const out = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i] ?? 0);
    return out;
  }
  return fromNumbers(toNumbers(data, from), to);
}

function repeat(data: HostTensorData, count: number): HostTensorData {
  if (count === data.length) return data;
  // Every HostTensorData constructor accepts a length; fill() copies the single value.
  const Ctor = data.constructor as new (length: number) => HostTensorData;
  const out = new Ctor(count);
  const first = data[0];
  if (first !== undefined) (out as { fill(v: number | bigint): unknown }).fill(first);
  return out;
}

/**
 * Scalars and one-element tensors going into a rank-0 or rank-1 input (timesteps, scales) are
 * reshaped to what the model declares; a symbolic rank-1 dim takes the batch size.
 */
function smallInputDims(info: TensorInfo, batch: number): number[] | undefined {
  if (info.dims.length === 0) return [];
  if (info.dims.length !== 1) return undefined;
  const d = info.dims[0];
  return [typeof d === 'number' ? d : batch];
}

export function prepareFeed(label: string, info: TensorInfo, value: FeedValue, batch: number): PreparedFeed {
  if (!NUMERIC.has(info.dtype)) {
    throw new BridgeError(
      'tensor_mismatch',
      `${label} input "${info.name}": declared type ${info.dtype} is not supported`,
      info.name,
    );
  }
  const host: HostTensor = typeof value === 'number' ? { data: Float64Array.of(value), dims: [] } : value;
  const from = sourceDtype(host);
  const got = `${typeof value === 'number' ? 'number' : from} ${describeShape(host.dims)}`;
  if (!NUMERIC.has(from)) throw mismatch(label, info, got);
  if (elementCount(host.dims) !== host.data.length) {
    throw new BridgeError(
      'tensor_mismatch',
      `${label} input "${info.name}": dims ${describeShape(host.dims)} hold ${elementCount(host.dims)} values ` +
        `but the data has ${host.data.length}`,
      info.name,
    );
  }

  let dims = host.dims;
  let data = host.data;
  if (host.data.length === 1 && info.dims.length <= 1) {
    const target = smallInputDims(info, batch);
    if (target !== undefined) {
      dims = target;
      data = repeat(host.data, elementCount(target));
    }
  }
  // onnxruntime reports [] both for scalars and for inputs declared without any shape, so a
  // multi-value feed to a [] input is left for onnxruntime itself to judge.
  const shapeUnknown = info.dims.length === 0 && host.data.length !== 1;
  if (dims.length !== info.dims.length && !shapeUnknown) throw mismatch(label, info, got);
  info.dims.forEach((d, i) => {
    if (typeof d === 'number' && dims[i] !== d) throw mismatch(label, info, got);
  });
  return { dtype: info.dtype, data: convertData(data, from, info.dtype), dims: [...dims] };
}

/**
 * The batch size symbolic rank-1 inputs broadcast to: the first dim of `sample` (the UNet's
 * latent input), else of the first feed of rank 2 or more, else 1.
 */
export function batchSizeOf(feeds: Readonly<Record<string, FeedValue>>): number {
  const sample = feeds['sample'];
  if (sample !== undefined && typeof sample !== 'number' && sample.dims.length > 0) return sample.dims[0] ?? 1;
  for (const v of Object.values(feeds)) {
    if (typeof v !== 'number' && v.dims.length >= 2) return v.dims[0] ?? 1;
  }
  return 1;
}

/** Checks that every declared input is fed and nothing else is, then converts each feed. */
export function prepareFeeds(
  label: string,
  inputs: readonly TensorInfo[],
  feeds: Readonly<Record<string, FeedValue>>,
): Record<string, PreparedFeed> {
  const declared = new Set(inputs.map((i) => i.name));
  for (const name of Object.keys(feeds)) {
    if (!declared.has(name)) {
      throw new BridgeError(
        'tensor_mismatch',
        `${label}: unknown input "${name}" (the model takes ${[...declared].map((n) => `"${n}"`).join(', ')})`,
        name,
      );
    }
  }
  const batch = batchSizeOf(feeds);
  const out: Record<string, PreparedFeed> = {};
  for (const info of inputs) {
    const value = feeds[info.name];
    if (value === undefined) {
      throw new BridgeError(
        'tensor_mismatch',
        `${label} input "${info.name}": missing (expected ${info.dtype} ${describeShape(info.dims)})`,
        info.name,
      );
    }
    out[info.name] = prepareFeed(label, info, value, batch);
  }
  return out;
}

/** float16 outputs come back as float32 so callers never see half bits. */
export function convertOutput(dtype: TensorDType, data: HostTensorData, dims: readonly number[]): OutputTensor {
  if (dtype === 'float16') {
    const bits = data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.length);
    return { dtype: 'float32', data: float16ArrayToFloat32(bits), dims: [...dims] };
  }
  return { dtype, data, dims: [...dims] };
}
