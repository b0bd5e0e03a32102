/**
 * The GroupNorm-statistics variant of a model, for tiled VAE runs whose GroupNorms must see the
 * whole image's statistics, not one tile's (per-tile statistics shift each tile's colours).
 *
 * GroupNorm as torch.onnx writes it below opset 18 (and as graphs/norms.ts builds it) is
 * Reshape(x, [0, G, -1]) → InstanceNormalization(scale, bias) → Reshape back → affine. Every
 * InstanceNormalization fed by a Reshape is replaced by nodes that normalize with
 *
 *   mean = local + α·(given − local),  var likewise
 *
 * where `local` are the statistics of what the run sees (α = 0: exactly the original GroupNorm)
 * and `given` come from new graph inputs `gn<k>_mean`, `gn<k>_var` ([G] float32) with one shared
 * `gn_stats_alpha` ([1] float32). Each GroupNorm also reports, as output `gn<k>_sums` ([3, G]
 * float32), over the part of its input inside the box `tile_core` (int64 [top, left, bottom,
 * right] in the first graph input's pixels, scaled to the GroupNorm's resolution), the sums of
 * (x − given mean) and (x − given mean)² per group and the element count per group: the caller adds
 * them over tiles whose boxes partition the image and so gets the whole image's statistics
 * (shifted by a mean close to the true one, so float32 sums keep their precision).
 */
import { ProtoWriter } from '../onnx/protobuf-writer.js';
import { isOnnxOp, rewriteGraph, type GraphContext, type GraphEdit, type GraphNode } from './graph-stream.js';
import { floatAttr, floatTensor, int64Tensor, intAttr, intsAttr, nodeBytes, tensorAttr, valueInfoBytes } from './proto-bytes.js';
import { fieldsIn, payload, WireType } from '../models/protobuf-reader.js';
import { variantFile } from './variant-file.js';

export const GN_ALPHA_INPUT = 'gn_stats_alpha';
export const GN_BOX_INPUT = 'tile_core';
export const gnMeanInput = (k: number): string => `gn${k}_mean`;
export const gnVarInput = (k: number): string => `gn${k}_var`;
export const gnSumsOutput = (k: number): string => `gn${k}_sums`;

const FLOAT = 1;
const FLOAT16 = 10;

/** Nodes for one rewrite, with fresh value names under a prefix and int64/float constants. */
class Emitter {
  readonly nodes: Uint8Array[] = [];
  private counter = 0;

  constructor(
    private readonly prefix: string,
    readonly opset: number,
  ) {}

  op(opType: string, inputs: readonly string[], attrs: readonly ProtoWriter[] = [], output?: string): string {
    const out = output ?? `${this.prefix}/${opType}_${this.counter++}`;
    this.nodes.push(nodeBytes(opType, inputs, [out], `${out}#node`, attrs));
    return out;
  }

  int64(values: readonly number[]): string {
    return this.op('Constant', [], [tensorAttr('value', int64Tensor(values))]);
  }

  float(value: number): string {
    return this.op('Constant', [], [tensorAttr('value', floatTensor([value], []))]);
  }

  cast(x: string, to: number): string {
    return this.op('Cast', [x], [intAttr('to', to)]);
  }

  /** ReduceMean/ReduceSum/ReduceSumSquare over `axes`, with axes as an attribute or an input by opset. */
  reduce(opType: 'ReduceMean' | 'ReduceSum' | 'ReduceSumSquare', x: string, axes: readonly number[], keepdims: boolean): string {
    const asInput = opType === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    const keep = intAttr('keepdims', keepdims ? 1 : 0);
    return asInput ? this.op(opType, [x, this.int64(axes)], [keep]) : this.op(opType, [x], [intsAttr('axes', axes), keep]);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.int64(axes)]) : this.op('Unsqueeze', [x], [intsAttr('axes', axes)]);
  }

  slice(x: string, starts: string, ends: string, axes: readonly number[]): string {
    return this.op('Slice', [x, starts, ends, this.int64(axes)]);
  }
}

function intAttrOf(node: GraphNode, name: string): number | undefined {
  const attr = node.attributes.get(name);
  if (attr === undefined) return undefined;
  for (const f of fieldsIn(attr)) if (f.field === 3 && f.wire === WireType.varint) return f.value;
  return undefined;
}

function epsilonOf(node: GraphNode): number {
  const attr = node.attributes.get('epsilon');
  if (attr === undefined) return 1e-5;
  for (const f of fieldsIn(attr)) {
    if (f.field === 2 && f.wire === WireType.fixed32) return new DataView(payload(attr, f).slice().buffer).getFloat32(0, true);
  }
  return 1e-5;
}

interface Shared {
  alpha: string;
  /** The box's [top, left] and [bottom, right] (int64 [2] each), and the input's [H, W]. */
  boxStart: string;
  boxEnd: string;
  inputHW: string;
}

/** The replacement of one InstanceNormalization `node` (input x3 = Reshape(x4, shape)), emitted into `e`. */
function replaceGroupNorm(e: Emitter, k: number, node: GraphNode, reshape: GraphNode, shared: Shared, backType: number | 'like' | 'none'): void {
  const [x3, scale, bias] = node.inputs as [string, string, string];
  const [x4, groupShape] = reshape.inputs as [string, string];
  const out = node.outputs[0] as string;
  // Float32 graphs compute in place; float16 ones are widened here and narrowed back at the end.
  const toFloat = (x: string): string => (backType === 'none' ? x : e.cast(x, FLOAT));
  const perGroup = e.int64([1, -1, 1]);
  const givenMean = e.op('Reshape', [gnMeanInput(k), perGroup]);
  const givenVar = e.op('Reshape', [gnVarInput(k), perGroup]);

  // First the sums over the core box at this GroupNorm's resolution, so their temporaries (and
  // the extra reader of x4) are gone before the full-size normalization runs.
  const hw = e.slice(e.op('Shape', [x4]), e.int64([2]), e.int64([4]), [0]);
  const starts = e.op('Div', [e.op('Mul', [shared.boxStart, hw]), shared.inputHW]);
  const ends = e.op('Div', [e.op('Mul', [shared.boxEnd, hw]), shared.inputHW]);
  const core = e.op('Reshape', [e.slice(x4, starts, ends, [2, 3]), groupShape]);
  const shifted = e.op('Sub', [toFloat(core), givenMean]);
  const s1 = e.reduce('ReduceSum', shifted, [2], false);
  const s2 = e.reduce('ReduceSumSquare', shifted, [2], false);
  const count = e.cast(e.slice(e.op('Shape', [core]), e.int64([2]), e.int64([3]), [0]), FLOAT);
  const counts = e.op('Expand', [count, e.op('Shape', [s1])]);
  e.op('Concat', [s1, s2, counts], [intAttr('axis', 0)], gnSumsOutput(k));

  // Local statistics over each group (what InstanceNormalization computes), without a full-size
  // temporary: var = E[x²] − E[x]² (these only serve α < 1 runs: the estimate and per-tile mode).
  const xf = toFloat(x3);
  const localMean = e.reduce('ReduceMean', xf, [2], true);
  const groupSize = e.cast(e.slice(e.op('Shape', [x3]), e.int64([2]), e.int64([3]), [0]), FLOAT);
  const meanSquare = e.op('Div', [e.reduce('ReduceSumSquare', xf, [2], true), groupSize]);
  const localVar = e.op('Relu', [e.op('Sub', [meanSquare, e.op('Mul', [localMean, localMean])])]);
  // Given statistics, blended in by α.
  const mean = e.op('Add', [localMean, e.op('Mul', [shared.alpha, e.op('Sub', [givenMean, localMean])])]);
  const variance = e.op('Add', [localVar, e.op('Mul', [shared.alpha, e.op('Sub', [givenVar, localVar])])]);
  // y = x·a + c with a = scale/√(var+ε), c = bias − mean·a: two passes over x.
  const gamma = e.unsqueeze(e.cast(scale, FLOAT), [1]);
  const beta = e.unsqueeze(e.cast(bias, FLOAT), [1]);
  const a = e.op('Mul', [e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [variance, e.float(epsilonOf(node))])])]), gamma]);
  const c = e.op('Sub', [beta, e.op('Mul', [mean, a])]);
  if (backType === 'none') {
    e.op('Add', [e.op('Mul', [xf, a]), c], [], out);
  } else {
    const y = e.op('Add', [e.op('Mul', [xf, a]), c]);
    if (backType === 'like') e.op('CastLike', [y, x3], [], out);
    else e.op('Cast', [y], [intAttr('to', backType)], out);
  }
}

export interface GroupNormStatsResult {
  /** GroupNorms rewritten, numbered 0..count-1 in graph order. */
  groupNorms: number;
}

/** The edit itself, on a parsed node list (exported for tests that build graphs in memory). */
export function groupNormStatsEdit(nodes: readonly GraphNode[], ctx: GraphContext): GraphEdit & GroupNormStatsResult {
  const producer = new Map<string, GraphNode>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const image = ctx.inputs[0];
  if (image === undefined) throw new RangeError('the model has no inputs');
  const inputType = ctx.inputTypes[0] === 'float16' ? FLOAT16 : FLOAT;
  // A GroupNorm computes in float32 when the graph is float32 or when its input was just cast to
  // float32 (graphs/norms.ts in float16 graphs); otherwise widen it and narrow the result back.
  const castsToFloat = (value: string): boolean => {
    const p = producer.get(value);
    return p !== undefined && isOnnxOp(p, 'Cast') && intAttrOf(p, 'to') === FLOAT;
  };
  const backTypeOf = (reshape: GraphNode): number | 'like' | 'none' =>
    inputType === FLOAT || castsToFloat(reshape.inputs[0] ?? '') ? 'none' : ctx.opset >= 15 ? 'like' : inputType;

  const head = new Emitter('gnstats', ctx.opset);
  const box = GN_BOX_INPUT;
  const shared: Shared = {
    alpha: GN_ALPHA_INPUT,
    boxStart: head.slice(box, head.int64([0]), head.int64([2]), [0]),
    boxEnd: head.slice(box, head.int64([2]), head.int64([4]), [0]),
    inputHW: head.slice(head.op('Shape', [image]), head.int64([2]), head.int64([4]), [0]),
  };
  const out: Uint8Array[] = [...head.nodes];
  const addInputs: Uint8Array[] = [valueInfoBytes(GN_ALPHA_INPUT, 'float32', [1]), valueInfoBytes(GN_BOX_INPUT, 'int64', [4])];
  const addOutputs: Uint8Array[] = [];
  let k = 0;
  for (const node of nodes) {
    const reshape = isOnnxOp(node, 'InstanceNormalization') ? producer.get(node.inputs[0] ?? '') : undefined;
    if (reshape === undefined || !isOnnxOp(reshape, 'Reshape') || node.inputs.length < 3) {
      out.push(node.bytes);
      continue;
    }
    const e = new Emitter(`gnstats_${k}`, ctx.opset);
    replaceGroupNorm(e, k, node, reshape, shared, backTypeOf(reshape));
    out.push(...e.nodes);
    addInputs.push(valueInfoBytes(gnMeanInput(k), 'float32', [`gn${k}_groups`]), valueInfoBytes(gnVarInput(k), 'float32', [`gn${k}_groups`]));
    addOutputs.push(valueInfoBytes(gnSumsOutput(k), 'float32', [3, `gn${k}_groups`]));
    k++;
  }
  return { nodes: out, addInputs, addOutputs, groupNorms: k };
}

/** Writes `dst` as `src` with every GroupNorm taking its statistics as inputs (see above). */
export async function rewriteGroupNormStats(src: string, dst: string): Promise<GroupNormStatsResult> {
  let groupNorms = 0;
  await rewriteGraph(src, dst, (nodes, ctx) => {
    const edit = groupNormStatsEdit(nodes, ctx);
    groupNorms = edit.groupNorms;
    if (groupNorms === 0) throw new RangeError(`${src} has no GroupNorm (Reshape → InstanceNormalization) to rewrite`);
    return edit;
  });
  return { groupNorms };
}

const GN_STATS_VERSION = 1;

/** The GroupNorm-statistics copy of `file` (model.gn-stats.onnx beside it), made once. */
export function groupNormStatsCopy(file: string): Promise<string> {
  return variantFile(file, '.gn-stats', GN_STATS_VERSION, rewriteGroupNormStats);
}
