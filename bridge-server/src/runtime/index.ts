// The runtime's public face: the only door to onnxruntime-node.
export { OnnxModel, compiledProviders, modelFileInUse, type OpenOptions, type RunStats } from './onnx-model.js';
export { EXECUTION_PROVIDERS, type ExecutionProvider } from './providers.js';
export { cacheFolderFor } from './optimized-cache.js';
export {
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  float32ToFloat16Bits,
} from '../numeric/float16.js';
export type {
  FeedValue,
  HostTensor,
  HostTensorData,
  OutputTensor,
  TensorDType,
  TensorInfo,
} from './tensor-types.js';
