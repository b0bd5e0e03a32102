/**
 * A1111's "tiling" (seamless textures) on an ONNX model: A1111 switches every torch Conv2d of the
 * UNet and VAE to padding_mode="circular" (sd_hijack.apply_circular). Here each Conv node with
 * symmetric spatial pads gets its input wrapped around explicitly — Slice + Concat along W, then
 * along H — and runs with pads 0; asymmetric pads (the VAE encoder's constant F.pad before its
 * stride-2 convs, which A1111 leaves alone) stay as they are. Slice + Concat rather than
 * Pad(mode="wrap"): wrap needs opset 19, and raising a model's opset changes other ops' meaning.
 *
 * The file is rewritten as a stream: every field but the graph's nodes is copied byte for byte
 * (weights, external-data references), so the rewrite costs one pass over the file and the new
 * model, written next to the original, finds its external weights where the original does.
 */
import { open, rename, rm } from 'node:fs/promises';
import { decodeString, fieldsIn, FileWindow, payload, WireType, type ProtoField } from '../../models/protobuf-reader.js';
import { readOnnxOutline } from '../../models/index.js';
import { concatBytes, int64Tensor, intsAttr, intAttr, lengthHeader, nodeBytes, ONNX, tagBytes, tensorAttr, varintBytes } from './proto-bytes.js';

/** A piece of the output: bytes made here, or a range of the source file copied as it is. */
type Piece = Uint8Array | { start: number; end: number };

function pieceLength(p: Piece): number {
  return p instanceof Uint8Array ? p.length : p.end - p.start;
}

/** A field re-emitted unchanged: its header, then its value's bytes from the source. */
function copyField(f: ProtoField): Piece[] {
  const header = f.wire === WireType.bytes ? lengthHeader(f.field, f.end - f.start) : tagBytes(f.field, f.wire);
  return [header, { start: f.start, end: f.end }];
}

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
  const outline = await readOnnxOutline(src);
  const opset = outline.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 13;
  const win = await FileWindow.open(src);
  const top: Piece[] = [];
  let convs = 0;
  try {
    for await (const f of win.fields(0, win.size)) {
      if (f.field !== ONNX.model.graph || f.wire !== WireType.bytes) {
        top.push(...copyField(f));
        continue;
      }
      const graph: Piece[] = [];
      for await (const g of win.fields(f.start, f.end)) {
        if (g.field !== ONNX.graph.node || g.wire !== WireType.bytes) {
          graph.push(...copyField(g));
          continue;
        }
        const node = (await win.bytes(g.start, g.end - g.start)).slice();
        const conv = parseConv(node);
        if (conv === undefined) {
          graph.push(lengthHeader(g.field, node.length), node);
          continue;
        }
        const prefix = `a1111_circular_${convs++}`;
        const nodes: Uint8Array[] = [];
        const [ph, pw] = conv.pads as [number, number];
        let x = conv.inputs[0] ?? '';
        if (pw > 0) x = wrapAxis(nodes, x, 3, pw, prefix, opset);
        if (ph > 0) x = wrapAxis(nodes, x, 2, ph, prefix, opset);
        nodes.push(rewrittenConv(conv, x));
        for (const n of nodes) graph.push(lengthHeader(ONNX.graph.node, n.length), n);
      }
      top.push(lengthHeader(ONNX.model.graph, graph.reduce((s, p) => s + pieceLength(p), 0)), ...graph);
    }
  } finally {
    await win.close();
  }
  await writePieces(src, dst, top);
  return { convs };
}

async function writePieces(src: string, dst: string, pieces: readonly Piece[]): Promise<void> {
  const tmp = `${dst}.${process.pid}.tmp`;
  const input = await open(src, 'r');
  const output = await open(tmp, 'w');
  try {
    const chunk = Buffer.alloc(8 * 1024 * 1024);
    for (const p of pieces) {
      if (p instanceof Uint8Array) {
        await output.write(p);
        continue;
      }
      for (let at = p.start; at < p.end; ) {
        const n = Math.min(chunk.length, p.end - at);
        const { bytesRead } = await input.read(chunk, 0, n, at);
        if (bytesRead <= 0) throw new Error(`${src}: unexpected end of file at byte ${at}`);
        await output.write(chunk.subarray(0, bytesRead));
        at += bytesRead;
      }
    }
    await output.sync();
  } catch (err) {
    await output.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await input.close();
  }
  await output.close();
  await rename(tmp, dst);
}
