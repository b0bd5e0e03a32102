/** Element types onnxruntime-node reports for tensor inputs and outputs. */
export type TensorDType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'int4'
  | 'uint4';

/** One model input or output as the session declares it: numbers are static dims, strings symbolic. */
export interface TensorInfo {
  name: string;
  dtype: TensorDType;
  dims: Array<number | string>;
}

export type HostTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A tensor in host memory. `dtype` is only needed where the array type is ambiguous: a Uint16Array
 * is read as float16 bits unless dtype says 'uint16'.
 */
export interface HostTensor {
  data: HostTensorData;
  dims: number[];
  dtype?: TensorDType;
}

/** What `OnnxModel.run` accepts per input: a tensor, or a plain number (a timestep, a guidance scale). */
export type FeedValue = HostTensor | number;

/** Run outputs always come back as float32 for float16 outputs, otherwise in the declared type. */
export interface OutputTensor {
  data: HostTensorData;
  dims: number[];
  dtype: TensorDType;
}

export function dtypeOfData(data: HostTensorData): TensorDType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'float16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'uint64';
}

export function describeShape(dims: ReadonlyArray<number | string>): string {
  return `[${dims.join(',')}]`;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}
