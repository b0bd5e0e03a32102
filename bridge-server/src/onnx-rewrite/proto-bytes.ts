/**
 * The ONNX messages graph rewrites add (nodes, attributes, constants, value infos), built with the
 * production ONNX writer, and the raw field headers they re-emit around bytes copied from the
 * source file unread.
 */
import { dataTypeCode, tensorProto, type Dim, type OnnxDataType } from '../onnx/onnx-proto.js';
import { ProtoWriter } from '../onnx/protobuf-writer.js';

export function varintBytes(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function tagBytes(field: number, wire: number): Uint8Array {
  return varintBytes(field * 8 + wire);
}

/** A length-delimited field's header (tag + length). */
export function lengthHeader(field: number, length: number): Uint8Array {
  return concatBytes([tagBytes(field, 2), varintBytes(length)]);
}

/** ONNX field numbers used by the rewrite (onnx/onnx.proto). */
export const ONNX = {
  model: { graph: 7, opset: 8 },
  graph: { node: 1, input: 11, output: 12 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, docString: 6, domain: 7 },
  attr: { name: 1, f: 2, i: 3, s: 4, t: 5, ints: 8, type: 20 },
  attrType: { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 },
} as const;

/** An int64 tensor constant of shape [n]. */
export function int64Tensor(values: readonly number[]): ProtoWriter {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return tensorProto({ name: '', dataType: 'int64', dims: [values.length], rawData: raw });
}

export function intAttr(name: string, value: number): ProtoWriter {
  return new ProtoWriter().string(ONNX.attr.name, name).varint(ONNX.attr.i, value).varint(ONNX.attr.type, ONNX.attrType.INT);
}

export function intsAttr(name: string, values: readonly number[]): ProtoWriter {
  const m = new ProtoWriter().string(ONNX.attr.name, name);
  for (const v of values) m.varint(ONNX.attr.ints, v);
  return m.varint(ONNX.attr.type, ONNX.attrType.INTS);
}

export function tensorAttr(name: string, tensor: ProtoWriter): ProtoWriter {
  return new ProtoWriter().string(ONNX.attr.name, name).message(ONNX.attr.t, tensor).varint(ONNX.attr.type, ONNX.attrType.TENSOR);
}

export function nodeBytes(opType: string, inputs: readonly string[], outputs: readonly string[], name: string, attrs: readonly ProtoWriter[] = []): Uint8Array {
  const n = new ProtoWriter();
  for (const i of inputs) n.string(ONNX.node.input, i);
  for (const o of outputs) n.string(ONNX.node.output, o);
  n.string(ONNX.node.name, name).string(ONNX.node.opType, opType);
  for (const a of attrs) n.message(ONNX.node.attribute, a);
  return n.finish();
}

/** A float32 tensor constant of the given dims. */
export function floatTensor(values: readonly number[], dims: readonly number[] = [values.length]): ProtoWriter {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return tensorProto({ name: '', dataType: 'float32', dims, rawData: raw });
}

export function floatAttr(name: string, value: number): ProtoWriter {
  return new ProtoWriter().string(ONNX.attr.name, name).float(ONNX.attr.f, value).varint(ONNX.attr.type, ONNX.attrType.FLOAT);
}

export function stringAttr(name: string, value: string): ProtoWriter {
  return new ProtoWriter().string(ONNX.attr.name, name).string(ONNX.attr.s, value).varint(ONNX.attr.type, ONNX.attrType.STRING);
}

/** A ValueInfoProto (graph input or output) of a tensor. */
export function valueInfoBytes(name: string, dataType: OnnxDataType, dims: readonly Dim[]): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().varint(1, dataTypeCode(dataType)).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType)).finish();
}
