// Writing ONNX models: the graph builder the importer and the test models share.
export { GraphBuilder, type ExternalDataOptions, type FloatType, type InitializerData, type WriteOptions } from './graph-builder.js';
export { OpBuilder, type ConvOptions } from './ops.js';
export { encodeModel, dataTypeCode, BYTES_PER_ELEMENT, type OnnxDataType, type Dim, type AttributeValue, type ModelSpec, type OpsetImport } from './onnx-proto.js';
export {
  concatRows,
  elementCount,
  fromSource,
  fromValues,
  mapped,
  reshaped,
  rowSlice,
  transposed2d,
  type LazyTensor,
  type WeightData,
  type WeightType,
} from './lazy-tensor.js';
export { WeightSet } from './weight-set.js';
