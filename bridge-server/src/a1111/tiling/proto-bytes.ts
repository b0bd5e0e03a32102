/**
 * Protobuf wire encoding for the few ONNX messages the circular-padding rewrite creates (nodes,
 * attributes, small int64 tensors) and the field headers it re-emits around copied bytes. The
 * production ONNX writer (bridge-server/src/onnx/) was not on main when this was written; this is
 * deliberately just enough for the rewrite.
 */

const encoder = new TextEncoder();

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

/** Builds one message's bytes field by field. */
export class MessageBytes {
  private readonly parts: Uint8Array[] = [];

  varint(field: number, value: number | bigint): this {
    this.parts.push(tagBytes(field, 0), varintBytes(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.parts.push(lengthHeader(field, value.length), value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  message(field: number, value: MessageBytes): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    return concatBytes(this.parts);
  }
}

/** ONNX field numbers used by the rewrite (onnx/onnx.proto). */
export const ONNX = {
  model: { graph: 7, opset: 8 },
  graph: { node: 1 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, docString: 6, domain: 7 },
  attr: { name: 1, f: 2, i: 3, s: 4, t: 5, ints: 8, type: 20 },
  attrType: { INT: 2, STRING: 3, TENSOR: 4, INTS: 7 },
  tensor: { dims: 1, dataType: 2, int64Data: 7, name: 8 },
  INT64: 7,
} as const;

/** An int64 tensor constant of shape [n]. */
export function int64Tensor(values: readonly number[]): MessageBytes {
  const t = new MessageBytes().varint(ONNX.tensor.dims, values.length).varint(ONNX.tensor.dataType, ONNX.INT64);
  const packed = concatBytes(values.map((v) => varintBytes(v)));
  return t.bytes(ONNX.tensor.int64Data, packed);
}

export function intAttr(name: string, value: number): MessageBytes {
  return new MessageBytes().string(ONNX.attr.name, name).varint(ONNX.attr.i, value).varint(ONNX.attr.type, ONNX.attrType.INT);
}

export function intsAttr(name: string, values: readonly number[]): MessageBytes {
  const m = new MessageBytes().string(ONNX.attr.name, name);
  for (const v of values) m.varint(ONNX.attr.ints, v);
  return m.varint(ONNX.attr.type, ONNX.attrType.INTS);
}

export function tensorAttr(name: string, tensor: MessageBytes): MessageBytes {
  return new MessageBytes().string(ONNX.attr.name, name).message(ONNX.attr.t, tensor).varint(ONNX.attr.type, ONNX.attrType.TENSOR);
}

export function nodeBytes(opType: string, inputs: readonly string[], outputs: readonly string[], name: string, attrs: readonly MessageBytes[] = []): Uint8Array {
  const n = new MessageBytes();
  for (const i of inputs) n.string(ONNX.node.input, i);
  for (const o of outputs) n.string(ONNX.node.output, o);
  n.string(ONNX.node.name, name).string(ONNX.node.opType, opType);
  for (const a of attrs) n.message(ONNX.node.attribute, a);
  return n.finish();
}
