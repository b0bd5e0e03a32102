/**
 * Rewrites the node list of an ONNX model file as a stream: every field but the graph's nodes is
 * copied byte for byte from the source (weights, external-data references, metadata), so a rewrite
 * costs one pass over the file and the new model, written next to the original, finds its external
 * weights where the original does. Nodes are small and read into memory; an edit sees them all (so
 * it can follow producers and consumers) and returns the new list, plus graph inputs and outputs
 * to append.
 */
import { open, rename, rm } from 'node:fs/promises';
import { decodeString, fieldsIn, FileWindow, payload, WireType, type ProtoField } from '../models/protobuf-reader.js';
import { parseValueInfo, readOnnxOutline } from '../models/onnx-reader.js';
import { lengthHeader, ONNX, tagBytes } from './proto-bytes.js';

/** A node as read from the file: its bytes (re-emitted unchanged when kept) and what edits look at. */
export interface GraphNode {
  readonly bytes: Uint8Array;
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Attribute messages by name (AttributeProto bytes). */
  readonly attributes: ReadonlyMap<string, Uint8Array>;
}

export interface GraphContext {
  /** The default domain's opset version. */
  readonly opset: number;
  /** Names of the graph's inputs, in order. */
  readonly inputs: readonly string[];
  /** Their element types ('float32', 'float16', ...), in the same order. */
  readonly inputTypes: readonly string[];
}

export interface GraphEdit {
  /** The new node list, in topological order (each a NodeProto message). */
  readonly nodes: readonly Uint8Array[];
  /** ValueInfoProto messages appended to the graph's inputs / outputs. */
  readonly addInputs?: readonly Uint8Array[];
  readonly addOutputs?: readonly Uint8Array[];
}

/** A piece of the output: bytes made here, or a range of the source file copied as it is. */
export type Piece = Uint8Array | { start: number; end: number };

export function pieceLength(p: Piece): number {
  return p instanceof Uint8Array ? p.length : p.end - p.start;
}

/** A field re-emitted unchanged: its header, then its value's bytes from the source. */
export function copyField(f: ProtoField): Piece[] {
  const header = f.wire === WireType.bytes ? lengthHeader(f.field, f.end - f.start) : tagBytes(f.field, f.wire);
  return [header, { start: f.start, end: f.end }];
}

export function parseNode(bytes: Uint8Array): GraphNode {
  let opType = '';
  let domain = '';
  let name = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, Uint8Array>();
  for (const f of fieldsIn(bytes)) {
    if (f.wire !== WireType.bytes) continue;
    const value = payload(bytes, f);
    if (f.field === ONNX.node.opType) opType = decodeString(value);
    else if (f.field === ONNX.node.domain) domain = decodeString(value);
    else if (f.field === ONNX.node.name) name = decodeString(value);
    else if (f.field === ONNX.node.input) inputs.push(decodeString(value));
    else if (f.field === ONNX.node.output) outputs.push(decodeString(value));
    else if (f.field === ONNX.node.attribute) {
      for (const a of fieldsIn(value)) {
        if (a.field === ONNX.attr.name && a.wire === WireType.bytes) attributes.set(decodeString(payload(value, a)), value);
      }
    }
  }
  return { bytes, opType, domain, name, inputs, outputs, attributes };
}

/** True for a node of the default ONNX domain. */
export function isOnnxOp(node: GraphNode, opType: string): boolean {
  return node.opType === opType && (node.domain === '' || node.domain === 'ai.onnx');
}

/** Writes `dst` (through a temporary file) as `src` with its nodes replaced by `edit`'s. */
export async function rewriteGraph(src: string, dst: string, edit: (nodes: readonly GraphNode[], ctx: GraphContext) => GraphEdit): Promise<void> {
  const outline = await readOnnxOutline(src);
  const opset = outline.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 13;
  const win = await FileWindow.open(src);
  const top: Piece[] = [];
  try {
    for await (const f of win.fields(0, win.size)) {
      if (f.field !== ONNX.model.graph || f.wire !== WireType.bytes) {
        top.push(...copyField(f));
        continue;
      }
      const nodes: GraphNode[] = [];
      const rest: Piece[] = [];
      const inputs: string[] = [];
      const inputTypes: string[] = [];
      for await (const g of win.fields(f.start, f.end)) {
        if (g.field === ONNX.graph.node && g.wire === WireType.bytes) {
          nodes.push(parseNode((await win.bytes(g.start, g.end - g.start)).slice()));
          continue;
        }
        if (g.field === ONNX.graph.input && g.wire === WireType.bytes) {
          const info = parseValueInfo((await win.bytes(g.start, g.end - g.start)).slice());
          inputs.push(info.name);
          inputTypes.push(info.dtype);
        }
        rest.push(...copyField(g));
      }
      const edited = edit(nodes, { opset, inputs, inputTypes });
      const graph: Piece[] = [];
      for (const n of edited.nodes) graph.push(lengthHeader(ONNX.graph.node, n.length), n);
      graph.push(...rest);
      for (const v of edited.addInputs ?? []) graph.push(lengthHeader(ONNX.graph.input, v.length), v);
      for (const v of edited.addOutputs ?? []) graph.push(lengthHeader(ONNX.graph.output, v.length), v);
      top.push(lengthHeader(ONNX.model.graph, graph.reduce((s, p) => s + pieceLength(p), 0)), ...graph);
    }
  } finally {
    await win.close();
  }
  await writePieces(src, dst, top);
}

/** Writes `dst` (through a temporary file, renamed when complete) from made bytes and ranges of `src`. */
export async function writePieces(src: string, dst: string, pieces: readonly Piece[]): Promise<void> {
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
