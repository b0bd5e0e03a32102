/**
 * CLIP pools its output at argmax(input_ids) (the end-of-text id 49407 is the largest id of the
 * vocabulary, so argmax finds the first EOS). Embedding ids come after the vocabulary and would win
 * that argmax; A1111 writes placeholder id 0 at embedding positions, so its argmax still finds the
 * EOS. The same here: every ArgMax over the ids (directly or through a Cast) gets the ids with
 * those past the vocabulary replaced by 0.
 */
import { fieldsIn, WireType } from '../models/protobuf-reader.js';
import { isOnnxOp, rewriteGraph, type GraphNode } from '../onnx-rewrite/graph-stream.js';
import { int64Tensor, intAttr, nodeBytes, tensorAttr } from '../onnx-rewrite/proto-bytes.js';

const INT64 = 7;

function intAttrOf(node: GraphNode, name: string): number | undefined {
  const attr = node.attributes.get(name);
  if (attr === undefined) return undefined;
  for (const f of fieldsIn(attr)) if (f.field === 3 && f.wire === WireType.varint) return f.value;
  return undefined;
}

/** Writes `dst` (beside `src`) with every argmax over the ids blind to ids ≥ `firstAdded`; returns how many it guarded. */
export async function guardPooling(src: string, dst: string, firstAdded: number): Promise<number> {
  let guarded = 0;
  await rewriteGraph(src, dst, (nodes, ctx) => {
    const ids = ctx.inputs.find((name) => name === 'input_ids') ?? ctx.inputs[0] ?? '';
    const producer = new Map<string, GraphNode>();
    for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
    const out: Uint8Array[] = [];
    for (const node of nodes) {
      const x = node.inputs[0] ?? '';
      const from = producer.get(x);
      const overIds = x === ids || (from !== undefined && isOnnxOp(from, 'Cast') && from.inputs[0] === ids);
      if (!isOnnxOp(node, 'ArgMax') || !overIds) {
        out.push(node.bytes);
        continue;
      }
      const to = x === ids ? INT64 : intAttrOf(from as GraphNode, 'to') ?? INT64;
      const p = `/pooling_guard_${guarded}`;
      const constant = (value: number, name: string): string => {
        out.push(nodeBytes('Constant', [], [`${p}/${name}64`], `${p}/${name}64#node`, [tensorAttr('value', int64Tensor([value]))]));
        if (to === INT64) return `${p}/${name}64`;
        out.push(nodeBytes('Cast', [`${p}/${name}64`], [`${p}/${name}`], `${p}/${name}#node`, [intAttr('to', to)]));
        return `${p}/${name}`;
      };
      const limit = constant(firstAdded, 'limit');
      const zero = constant(0, 'zero');
      out.push(nodeBytes('Less', [x, limit], [`${p}/in_vocab`], `${p}/in_vocab#node`));
      out.push(nodeBytes('Where', [`${p}/in_vocab`, x, zero], [`${p}/ids`], `${p}/ids#node`));
      const attrs = [intAttr('axis', intAttrOf(node, 'axis') ?? 0), intAttr('keepdims', intAttrOf(node, 'keepdims') ?? 1)];
      const last = intAttrOf(node, 'select_last_index');
      if (last !== undefined) attrs.push(intAttr('select_last_index', last));
      out.push(nodeBytes('ArgMax', [`${p}/ids`], node.outputs, node.name === '' ? `${p}/ArgMax` : node.name, attrs));
      guarded++;
    }
    return { nodes: out };
  });
  return guarded;
}
