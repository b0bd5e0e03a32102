/**
 * Reads the outline of an ONNX file: ModelProto -> GraphProto -> inputs, outputs and initializers,
 * collecting external-data references. Weights and nodes are skipped, never decoded.
 * Field numbers are those of onnx/onnx.proto.
 */
import {
  decodeString,
  fieldsIn,
  FileWindow,
  payload,
  ProtobufError,
  readVarint,
  WireType,
  type ProtoField,
} from './protobuf-reader.js';

/** TensorProto.DataType -> name (as onnxruntime spells them) and bytes per element. */
const DATA_TYPES: Record<number, { name: string; bytes: number }> = {
  1: { name: 'float32', bytes: 4 },
  2: { name: 'uint8', bytes: 1 },
  3: { name: 'int8', bytes: 1 },
  4: { name: 'uint16', bytes: 2 },
  5: { name: 'int16', bytes: 2 },
  6: { name: 'int32', bytes: 4 },
  7: { name: 'int64', bytes: 8 },
  8: { name: 'string', bytes: 0 },
  9: { name: 'bool', bytes: 1 },
  10: { name: 'float16', bytes: 2 },
  11: { name: 'float64', bytes: 8 },
  12: { name: 'uint32', bytes: 4 },
  13: { name: 'uint64', bytes: 8 },
  14: { name: 'complex64', bytes: 8 },
  15: { name: 'complex128', bytes: 16 },
  16: { name: 'bfloat16', bytes: 2 },
  17: { name: 'float8e4m3fn', bytes: 1 },
  18: { name: 'float8e4m3fnuz', bytes: 1 },
  19: { name: 'float8e5m2', bytes: 1 },
  20: { name: 'float8e5m2fnuz', bytes: 1 },
};

export function dataTypeName(elemType: number | undefined): string {
  if (elemType === undefined) return 'unknown';
  return DATA_TYPES[elemType]?.name ?? `type${elemType}`;
}

export interface OnnxValueInfo {
  name: string;
  /** Element type name ('float32', 'int64', ...), or 'unknown' for non-tensor / untyped values. */
  dtype: string;
  /** undefined when the graph declares no shape at all (rank unknown). */
  dims: Array<number | string> | undefined;
}

export interface ExternalDataRef {
  tensor: string;
  location: string;
  offset: number;
  /** The declared length, else dims x element size; undefined when neither is known. */
  length: number | undefined;
}

export interface OnnxOutline {
  irVersion: number;
  producer: string;
  opsets: Array<{ domain: string; version: number }>;
  /** Graph inputs that are not initializers (old exports list weights as inputs too). */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodeCount: number;
  initializerCount: number;
  externalData: ExternalDataRef[];
}

const MODEL = { irVersion: 1, producer: 2, graph: 7, opset: 8 } as const;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, externalData: 13, dataLocation: 14 } as const;
const DATA_LOCATION_EXTERNAL = 1;

function expectWire(f: ProtoField, wire: number, what: string): void {
  if (f.wire !== wire) throw new ProtobufError(`${what} (field ${f.field}) has wire type ${f.wire}, expected ${wire}`);
}

function readDims(buf: Uint8Array, base: number): Array<number | string> {
  const dims: Array<number | string> = [];
  for (const dim of fieldsIn(buf, base)) {
    if (dim.field !== 1 || dim.wire !== WireType.bytes) continue;
    let value: number | string = '?';
    for (const d of fieldsIn(payload(buf, dim, base), dim.start)) {
      if (d.field === 1 && d.wire === WireType.varint) value = d.value;
      if (d.field === 2 && d.wire === WireType.bytes) value = decodeString(payload(buf, d, base));
    }
    dims.push(value);
  }
  return dims;
}

/** ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1; shape = 2 } } } */
export function parseValueInfo(buf: Uint8Array, base = 0): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', dtype: 'unknown', dims: undefined };
  for (const f of fieldsIn(buf, base)) {
    if (f.field === 1 && f.wire === WireType.bytes) info.name = decodeString(payload(buf, f, base));
    if (f.field !== 2 || f.wire !== WireType.bytes) continue;
    for (const t of fieldsIn(payload(buf, f, base), f.start)) {
      if (t.field !== 1 || t.wire !== WireType.bytes) continue;
      for (const tt of fieldsIn(payload(buf, t, base), t.start)) {
        if (tt.field === 1 && tt.wire === WireType.varint) info.dtype = dataTypeName(tt.value);
        if (tt.field === 2 && tt.wire === WireType.bytes) info.dims = readDims(payload(buf, tt, base), tt.start);
      }
    }
  }
  return info;
}

function parseStringEntry(buf: Uint8Array, base: number): [string, string] {
  let key = '';
  let value = '';
  for (const f of fieldsIn(buf, base)) {
    if (f.field === 1 && f.wire === WireType.bytes) key = decodeString(payload(buf, f, base));
    if (f.field === 2 && f.wire === WireType.bytes) value = decodeString(payload(buf, f, base));
  }
  return [key, value];
}

interface InitializerOutline {
  name: string;
  external: ExternalDataRef | undefined;
}

/** TensorProto, streamed: raw_data can be most of the file and is only stepped over. */
async function readInitializer(win: FileWindow, start: number, end: number): Promise<InitializerOutline> {
  let name = '';
  let elemType: number | undefined;
  let external = false;
  const dims: number[] = [];
  const entries = new Map<string, string>();
  for await (const f of win.fields(start, end)) {
    if (f.field === TENSOR.dims) {
      if (f.wire === WireType.varint) dims.push(f.value);
      else if (f.wire === WireType.bytes) {
        const packed = await win.bytes(f.start, f.end - f.start);
        for (const v of packedVarints(packed, f.start)) dims.push(v);
      }
    } else if (f.field === TENSOR.dataType && f.wire === WireType.varint) {
      elemType = f.value;
    } else if (f.field === TENSOR.name && f.wire === WireType.bytes) {
      name = decodeString(await win.bytes(f.start, f.end - f.start));
    } else if (f.field === TENSOR.externalData && f.wire === WireType.bytes) {
      const [k, v] = parseStringEntry(await win.bytes(f.start, f.end - f.start), f.start);
      entries.set(k, v);
    } else if (f.field === TENSOR.dataLocation && f.wire === WireType.varint) {
      external = f.value === DATA_LOCATION_EXTERNAL;
    }
  }
  if (!external) return { name, external: undefined };
  const elementBytes = elemType === undefined ? undefined : DATA_TYPES[elemType]?.bytes;
  const count = dims.reduce((n, d) => n * d, 1);
  const declared = entries.get('length');
  return {
    name,
    external: {
      tensor: name,
      location: entries.get('location') ?? '',
      offset: Number(entries.get('offset') ?? '0'),
      length: declared !== undefined ? Number(declared) : elementBytes ? count * elementBytes : undefined,
    },
  };
}

function* packedVarints(buf: Uint8Array, base: number): Generator<number> {
  let pos = 0;
  while (pos < buf.length) {
    const [v, next] = readVarint(buf, pos, base + pos);
    yield v;
    pos = next;
  }
}

async function readGraph(win: FileWindow, start: number, end: number, outline: OnnxOutline): Promise<void> {
  const declaredInputs: OnnxValueInfo[] = [];
  const initializerNames = new Set<string>();
  for await (const f of win.fields(start, end)) {
    switch (f.field) {
      case GRAPH.node:
        expectWire(f, WireType.bytes, 'graph node');
        outline.nodeCount++;
        break;
      case GRAPH.initializer: {
        expectWire(f, WireType.bytes, 'graph initializer');
        const init = await readInitializer(win, f.start, f.end);
        outline.initializerCount++;
        initializerNames.add(init.name);
        if (init.external !== undefined) outline.externalData.push(init.external);
        break;
      }
      case GRAPH.input:
      case GRAPH.output: {
        expectWire(f, WireType.bytes, 'graph input/output');
        const info = parseValueInfo(await win.bytes(f.start, f.end - f.start), f.start);
        (f.field === GRAPH.input ? declaredInputs : outline.outputs).push(info);
        break;
      }
    }
  }
  outline.inputs = declaredInputs.filter((i) => !initializerNames.has(i.name));
}

const LFS_POINTER = 'version https://git-lfs';

/**
 * Walks an ONNX file. Throws ProtobufError when it is not an ONNX ModelProto (including the
 * common case of a Git LFS pointer checked out instead of the model).
 */
export async function readOnnxOutline(file: string): Promise<OnnxOutline> {
  const win = await FileWindow.open(file);
  try {
    const head = await win.bytes(0, 64);
    if (decodeString(head).startsWith(LFS_POINTER)) {
      throw new ProtobufError('it is a Git LFS pointer, not the model (fetch it with `git lfs pull`)');
    }
    if (win.size === 0) throw new ProtobufError('the file is empty');
    const outline: OnnxOutline = {
      irVersion: 0,
      producer: '',
      opsets: [],
      inputs: [],
      outputs: [],
      nodeCount: 0,
      initializerCount: 0,
      externalData: [],
    };
    let sawGraph = false;
    for await (const f of win.fields(0, win.size)) {
      if (f.field === MODEL.irVersion) {
        expectWire(f, WireType.varint, 'ir_version');
        outline.irVersion = f.value;
      } else if (f.field === MODEL.producer) {
        expectWire(f, WireType.bytes, 'producer_name');
        outline.producer = decodeString(await win.bytes(f.start, f.end - f.start));
      } else if (f.field === MODEL.opset) {
        expectWire(f, WireType.bytes, 'opset_import');
        const [domain, version] = parseOpset(await win.bytes(f.start, f.end - f.start), f.start);
        outline.opsets.push({ domain, version });
      } else if (f.field === MODEL.graph) {
        expectWire(f, WireType.bytes, 'graph');
        sawGraph = true;
        await readGraph(win, f.start, f.end, outline);
      }
    }
    if (!sawGraph) throw new ProtobufError('no graph in the ModelProto');
    if (outline.irVersion <= 0) throw new ProtobufError('no ir_version in the ModelProto');
    if (outline.outputs.length === 0) throw new ProtobufError('the graph declares no outputs');
    return outline;
  } finally {
    await win.close();
  }
}

function parseOpset(buf: Uint8Array, base: number): [string, number] {
  let domain = '';
  let version = 0;
  for (const f of fieldsIn(buf, base)) {
    if (f.field === 1 && f.wire === WireType.bytes) domain = decodeString(payload(buf, f, base));
    if (f.field === 2 && f.wire === WireType.varint) version = f.value;
  }
  return [domain, version];
}
