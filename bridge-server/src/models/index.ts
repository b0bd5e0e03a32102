// The model store's public face: folders, validation, inspection and Hub downloads.
export { inspectModel, modelInfoFromScan } from './inspect-model.js';
export { scanModelFolder, validateModelFolder, type FolderScan } from './validate-model.js';
export {
  checkModelName,
  defaultModelsRoot,
  ModelStore,
  modelNameForRepo,
  type ModelEntry,
  type ModelListEntry,
  type ResolveOptions,
} from './model-store.js';
export { pullModel, type PullOptions, type PullProgress } from './pull-model.js';
export { DEFAULT_HF_ENDPOINT, type RepoFile } from './hf-listing.js';
export { readOnnxOutline, type ExternalDataRef, type OnnxOutline, type OnnxValueInfo } from './onnx-reader.js';
export { ProtobufError } from './protobuf-reader.js';
export {
  COMPONENT_INPUTS,
  COMPONENTS,
  DEFAULT_NATIVE_SIZE,
  DEFAULT_SCALING_FACTOR,
  EXTERNAL_DATA_NAMES,
  type ComponentName,
  type ModelComponents,
  type ModelInfo,
  type ModelProblem,
  type ModelProblemKind,
} from './model-layout.js';
