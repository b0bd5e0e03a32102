/**
 * A1111's "tiling" (seamless textures) on an ONNX model: A1111 switches every torch Conv2d of the
 * UNet and VAE to padding_mode="circular" (sd_hijack.apply_circular). Here each Conv node with
 * symmetric spatial pads gets its input wrapped around explicitly — Slice + Concat along W, then
 * along H — and runs with pads 0; asymmetric pads (the VAE encoder's constant F.pad before its
 * stride-2 convs, which A1111 leaves alone) stay as they are. Slice + Concat rather than
 * Pad(mode="wrap"): wrap needs opset 19, and raising a model's opset changes other ops' meaning.
 *
 * The file is rewritten as a stream (onnx-rewrite/graph-stream.ts): only the nodes change.
 */
import { decodeString, fieldsIn, payload, WireType, type ProtoField } from '../../models/protobuf-reader.js';
import { rewriteGraph } from '../../onnx-rewrite/graph-stream.js';
import { concatBytes, int64Tensor, intsAttr, intAttr, lengthHeader, nodeBytes, ONNX, tagBytes, tensorAttr, varintBytes } from '../../onnx-rewrite/proto-bytes.js';

interface ConvNode {
  fields: Array<{ f: ProtoField; bytes: Uint8Array }>;
  inputs: string[];
  name: string;
  pads: number[];
  autoPad: string;
}

function readInts(attr: Uint8Array): { name: string; ints: number[]; s: string } {
  let name = '';
  let s = '';
  const ints: number[] = [];
  for (const f of fieldsIn(attr)) {
    if (f.field === ONNX.attr.name && f.wire === WireType.bytes) name = decodeString(payload(attr, f));
    if (f.field === ONNX.attr.s && f.wire === WireType.bytes) s = decodeString(payload(attr, f));
    if (f.field === ONNX.attr.ints && f.wire === WireType.varint) ints.push(f.value);
    if (f.field === ONNX.attr.ints && f.wire === WireType.bytes) {
      const packed = payload(attr, f);
      for (let pos = 0; pos < packed.length; ) {
        let v = 0n;
        let shift = 0n;
        for (;;) {
          const b = packed[pos++] as number;
          v |= BigInt(b & 0x7f) << shift;
          shift += 7n;
          if ((b & 0x80) === 0) break;
        }
        ints.push(Number(BigInt.asIntN(64, v)));
      }
    }
  }
  return { name, ints, s };
}

/** The Conv nodes worth rewriting, parsed; anything else is undefined and copied as it is. */
function parseConv(node: Uint8Array): ConvNode | undefined {
  let opType = '';
  let domain = '';
  let name = '';
  const inputs: string[] = [];
  let pads: number[] = [];
  let autoPad = 'NOTSET';
  const fields: ConvNode['fields'] = [];
  for (const f of fieldsIn(node)) {
    const bytes = node.subarray(f.start, f.end);
    fields.push({ f, bytes });
    if (f.wire !== WireType.bytes) continue;
    if (f.field === ONNX.node.opType) opType = decodeString(bytes);
    else if (f.field === ONNX.node.domain) domain = decodeString(bytes);
    else if (f.field === ONNX.node.name) name = decodeString(bytes);
    else if (f.field === ONNX.node.input) inputs.push(decodeString(bytes));
    else if (f.field === ONNX.node.attribute) {
      const a = readInts(bytes);
      if (a.name === 'pads') pads = a.ints;
      if (a.name === 'auto_pad') autoPad = a.s;
    }
  }
  if (opType !== 'Conv' || (domain !== '' && domain !== 'ai.onnx')) return undefined;
  if (pads.length !== 4 || (autoPad !== 'NOTSET' && autoPad !== '')) return undefined;
  const [t, l, b, r] = pads as [number, number, number, number];
  if (t !== b || l !== r || (t === 0 && l === 0)) return undefined;
  return { fields, inputs, name, pads, autoPad };
}

const BIG = 2147483647;

/** Nodes that wrap `x` around by `p` on both sides of `axis`; returns the new value's name. */
function wrapAxis(out: Uint8Array[], x: string, axis: number, p: number, prefix: string, opset: number): string {
  const left = `${prefix}_ax${axis}_tail`;
  const right = `${prefix}_ax${axis}_head`;
  const joined = `${prefix}_ax${axis}`;
  const slice = (name: string, starts: number, ends: number) => {
    if (opset >= 10) {
      const consts = [
        [`${name}_starts`, starts],
        [`${name}_ends`, ends],
        [`${name}_axes`, axis],
      ] as const;
      for (const [cn, v] of consts) out.push(nodeBytes('Constant', [], [cn], cn, [tensorAttr('value', int64Tensor([v]))]));
      out.push(nodeBytes('Slice', [x, ...consts.map((c) => c[0])], [name], name));
    } else {
      out.push(nodeBytes('Slice', [x], [name], name, [intsAttr('starts', [starts]), intsAttr('ends', [ends]), intsAttr('axes', [axis])]));
    }
  };
  slice(left, -p, BIG);
  slice(right, 0, p);
  out.push(nodeBytes('Concat', [left, x, right], [joined], joined, [intAttr('axis', axis)]));
  return joined;
}

/** The Conv, fed the wrapped input, with its pads set to zero; every other field as it was. */
function rewrittenConv(conv: ConvNode, input: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let firstInput = true;
  for (const { f, bytes } of conv.fields) {
    if (f.field === ONNX.node.input && f.wire === WireType.bytes && firstInput) {
      firstInput = false;
      parts.push(lengthHeader(f.field, new TextEncoder().encode(input).length), new TextEncoder().encode(input));
      continue;
    }
    if (f.field === ONNX.node.attribute && f.wire === WireType.bytes && readInts(bytes).name === 'pads') {
      const attr = intsAttr('pads', [0, 0, 0, 0]).finish();
      parts.push(lengthHeader(f.field, attr.length), attr);
      continue;
    }
    parts.push(f.wire === WireType.bytes ? lengthHeader(f.field, bytes.length) : tagBytes(f.field, f.wire));
    parts.push(f.wire === WireType.varint ? varintBytes(f.value) : bytes);
  }
  return concatBytes(parts);
}

export interface RewriteResult {
  /** Conv nodes now padding circularly. */
  convs: number;
}

/** Writes `dst` (through a temporary file) as `src` with circular padding in its Conv nodes. */
export async function rewriteCircular(src: string, dst: string): Promise<RewriteResult> {
  let convs = 0;
  await rewriteGraph(src, dst, (graphNodes, { opset }) => {
    const out: Uint8Array[] = [];
    for (const { bytes } of graphNodes) {
      const conv = parseConv(bytes);
      if (conv === undefined) {
        out.push(bytes);
        continue;
      }
      const prefix = `a1111_circular_${convs++}`;
      const [ph, pw] = conv.pads as [number, number];
      let x = conv.inputs[0] ?? '';
      if (pw > 0) x = wrapAxis(out, x, 3, pw, prefix, opset);
      if (ph > 0) x = wrapAxis(out, x, 2, ph, prefix, opset);
      out.push(rewrittenConv(conv, x));
    }
    return { nodes: out };
  });
  return { convs };
}
