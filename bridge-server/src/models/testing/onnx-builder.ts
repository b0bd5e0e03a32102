/**
 * A tiny ONNX protobuf *writer* for tests: enough of ModelProto to build small runnable graphs
 * (Identity/Cast/Add/Mul), declare inputs with symbolic or static dims, and store initializers
 * inline or in an external data file. Not used by the server itself.
 */

/** ONNX TensorProto.DataType numbers used by the tests. */
export const OnnxDataType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  float16: 10,
  double: 11,
} as const;

class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];

  private bytes(b: Uint8Array): void {
    this.chunks.push(b);
  }

  private varint(value: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.bytes(Uint8Array.from(out));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: bigint | number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  len(field: number, payload: Uint8Array): this {
    this.tag(field, 2);
    this.varint(payload.length);
    this.bytes(payload);
    return this;
  }

  str(field: number, value: string): this {
    return this.len(field, new TextEncoder().encode(value));
  }

  msg(field: number, inner: ProtoWriter): this {
    return this.len(field, inner.finish());
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.bytes(b);
    return this;
  }

  finish(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

export interface ValueSpec {
  name: string;
  elemType: number;
  /** Numbers are static dims, strings symbolic ones; undefined means "no shape at all". */
  dims?: Array<number | string>;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes only (enough for Cast's `to`). */
  intAttrs?: Record<string, number>;
}

export interface InitializerSpec {
  name: string;
  elemType: number;
  dims: number[];
  /** Raw little-endian bytes. */
  raw: Uint8Array;
  /** When set, the bytes go to this external file instead of raw_data (caller writes the file). */
  external?: { location: string; offset: number; length?: number };
}

export interface GraphSpec {
  name?: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: InitializerSpec[];
  opset?: number;
}

function valueInfo(v: ValueSpec): ProtoWriter {
  const tensor = new ProtoWriter().int(1, v.elemType);
  if (v.dims !== undefined) {
    const shape = new ProtoWriter();
    for (const d of v.dims) {
      shape.msg(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().str(2, d));
    }
    tensor.msg(2, shape);
  }
  return new ProtoWriter().str(1, v.name).msg(2, new ProtoWriter().msg(1, tensor));
}

function node(n: NodeSpec, index: number): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.str(1, i);
  for (const o of n.outputs) w.str(2, o);
  w.str(3, `${n.op}_${index}`).str(4, n.op);
  for (const [name, value] of Object.entries(n.intAttrs ?? {})) {
    // AttributeProto: name=1, i=3, type=20 (INT = 2)
    w.msg(5, new ProtoWriter().str(1, name).int(3, value).int(20, 2));
  }
  return w;
}

function initializer(t: InitializerSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.elemType).str(8, t.name);
  if (t.external === undefined) {
    w.len(9, t.raw);
  } else {
    const entry = (k: string, v: string): ProtoWriter => new ProtoWriter().str(1, k).str(2, v);
    w.msg(13, entry('location', t.external.location));
    w.msg(13, entry('offset', String(t.external.offset)));
    w.msg(13, entry('length', String(t.external.length ?? t.raw.length)));
    w.int(14, 1);
  }
  return w;
}

/** Serializes a complete ModelProto (IR version 8, default-domain opset 17 unless given). */
export function buildOnnxModel(spec: GraphSpec): Uint8Array {
  const graph = new ProtoWriter();
  spec.nodes.forEach((n, i) => graph.msg(1, node(n, i)));
  graph.str(2, spec.name ?? 'test_graph');
  for (const t of spec.initializers ?? []) graph.msg(5, initializer(t));
  for (const v of spec.inputs) graph.msg(11, valueInfo(v));
  for (const v of spec.outputs) graph.msg(12, valueInfo(v));
  return new ProtoWriter()
    .int(1, 8)
    .str(2, 'latent-bridge-tests')
    .msg(7, graph)
    .msg(8, new ProtoWriter().str(1, '').int(2, spec.opset ?? 17))
    .finish();
}

export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(values);
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}
