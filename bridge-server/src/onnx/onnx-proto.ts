/**
 * Encoders for the ONNX messages a model file needs (field numbers from onnx/onnx.proto):
 * ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto (raw or external data),
 * ValueInfoProto, TypeProto.Tensor, TensorShapeProto. Plain data in, bytes out.
 */
import { ProtoWriter } from './protobuf-writer.js';

export type OnnxDataType = 'float32' | 'uint8' | 'int32' | 'int64' | 'bool' | 'float16';

const DATA_TYPE_CODE: Record<OnnxDataType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

export const BYTES_PER_ELEMENT: Record<OnnxDataType, number> = {
  float32: 4,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
};

/** A dimension: a fixed size or a symbolic name (dim_param). */
export type Dim = number | string;

export interface ExternalDataRef {
  location: string;
  offset: number;
  length: number;
}

export interface TensorSpec {
  name: string;
  dataType: OnnxDataType;
  dims: readonly number[];
  /** Little-endian element bytes stored inline (raw_data); absent when `external` is set. */
  rawData?: Uint8Array;
  external?: ExternalDataRef;
}

/** Plain number -> INT, number[] -> INTS, string -> STRING; floats must be wrapped. */
export type AttributeValue =
  | number
  | string
  | readonly number[]
  | { readonly float: number }
  | { readonly floats: readonly number[] }
  | { readonly tensor: TensorSpec };

export interface NodeSpec {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, AttributeValue>>;
  domain?: string;
}

export interface ValueInfoSpec {
  name: string;
  dataType: OnnxDataType;
  dims: readonly Dim[];
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  initializers: readonly TensorSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
}

export interface OpsetImport {
  /** '' for the default ONNX domain, 'com.microsoft' for onnxruntime's contrib operators. */
  domain: string;
  version: number;
}

export interface ModelSpec {
  graph: GraphSpec;
  irVersion?: number;
  opsetVersion?: number;
  /** Further operator sets besides the default domain's (e.g. com.microsoft version 1). */
  extraOpsets?: readonly OpsetImport[];
  producerName?: string;
  producerVersion?: string;
  /** metadata_props: free key/value strings stored with the model. */
  metadata?: Readonly<Record<string, string>>;
}

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;
const DATA_LOCATION_EXTERNAL = 1;

export function dataTypeCode(dataType: OnnxDataType): number {
  return DATA_TYPE_CODE[dataType];
}

function stringEntry(key: string, value: string): ProtoWriter {
  return new ProtoWriter().string(1, key).string(2, value);
}

export function tensorProto(tensor: TensorSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of tensor.dims) w.varint(1, d);
  w.varint(2, DATA_TYPE_CODE[tensor.dataType]);
  w.string(8, tensor.name);
  if (tensor.external !== undefined) {
    const { location, offset, length } = tensor.external;
    w.message(13, stringEntry('location', location));
    w.message(13, stringEntry('offset', String(offset)));
    w.message(13, stringEntry('length', String(length)));
    w.varint(14, DATA_LOCATION_EXTERNAL);
  } else {
    w.bytes(9, tensor.rawData ?? new Uint8Array(0));
  }
  return w;
}

function attributeProto(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RangeError(`attribute ${name}: wrap non-integer ${value} as {float}`);
    w.varint(20, ATTR_INT).varint(3, value);
  } else if (typeof value === 'string') {
    w.varint(20, ATTR_STRING).string(4, value);
  } else if (isNumberList(value)) {
    w.varint(20, ATTR_INTS);
    for (const v of value) w.varint(8, v);
  } else if ('float' in value) {
    w.varint(20, ATTR_FLOAT).float(2, value.float);
  } else if ('floats' in value) {
    w.varint(20, ATTR_FLOATS);
    for (const v of value.floats) w.float(7, v);
  } else {
    w.varint(20, ATTR_TENSOR).message(5, tensorProto(value.tensor));
  }
  return w;
}

function isNumberList(value: AttributeValue): value is readonly number[] {
  return Array.isArray(value);
}

function nodeProto(node: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, attributeProto(name, value));
  if (node.domain !== undefined) w.string(7, node.domain);
  return w;
}

function valueInfoProto(info: ValueInfoSpec): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of info.dims) {
    shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  }
  const tensorType = new ProtoWriter().varint(1, DATA_TYPE_CODE[info.dataType]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}

function graphProto(graph: GraphSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.message(1, nodeProto(node));
  w.string(2, graph.name);
  for (const init of graph.initializers) w.message(5, tensorProto(init));
  for (const input of graph.inputs) w.message(11, valueInfoProto(input));
  for (const output of graph.outputs) w.message(12, valueInfoProto(output));
  return w;
}

/** Serializes a ModelProto; defaults: IR version 8, default-domain opset 17. */
export function encodeModel(model: ModelSpec): Uint8Array {
  const w = new ProtoWriter()
    .varint(1, model.irVersion ?? 8)
    .string(2, model.producerName ?? 'latent-bridge')
    .string(3, model.producerVersion ?? '0.1.0')
    .message(7, graphProto(model.graph));
  const opsets: OpsetImport[] = [{ domain: '', version: model.opsetVersion ?? 17 }, ...(model.extraOpsets ?? [])];
  for (const { domain, version } of opsets) w.message(8, new ProtoWriter().string(1, domain).varint(2, version));
  for (const [key, value] of Object.entries(model.metadata ?? {})) w.message(14, stringEntry(key, value));
  return w.finish();
}
