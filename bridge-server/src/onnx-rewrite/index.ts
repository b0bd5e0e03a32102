// Streaming rewrites of ONNX model files into variants (graph-stream), and the variants themselves.
export { isOnnxOp, parseNode, rewriteGraph, type GraphContext, type GraphEdit, type GraphNode } from './graph-stream.js';
export {
  GN_ALPHA_INPUT,
  GN_BOX_INPUT,
  gnMeanInput,
  gnSumsOutput,
  gnVarInput,
  groupNormStatsCopy,
  groupNormStatsEdit,
  rewriteGroupNormStats,
  type GroupNormStatsResult,
} from './group-norm-stats.js';
export { variantFile } from './variant-file.js';
