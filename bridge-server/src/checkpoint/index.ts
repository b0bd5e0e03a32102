/** Checkpoint readers: safetensors, PyTorch zip checkpoints (safe unpickling), hashes. */
export type { StoredDType, TensorEntry, TensorSource } from './tensor-source.js';
export { CheckpointError, invalidCheckpoint, type CheckpointErrorCode } from './checkpoint-error.js';
export { DTYPE_SIZE, isStoredDType, shapeNumel, toFloat32 } from './dtypes.js';
export { openSafetensors, SafetensorsFile, type SafetensorsEntry } from './safetensors.js';
export { MAX_HEADER_BYTES, parseSafetensorsHeader } from './safetensors-header.js';
export { writeSafetensors, type SafetensorsTensorToWrite, type WriteSafetensorsOptions } from './safetensors-writer.js';
export { openTorchCheckpoint, TorchCheckpoint, type CheckpointValue, type TorchTensorEntry } from './torch-checkpoint.js';
export { openCheckpoint, detectCheckpointFormat, type CheckpointFormat } from './open-checkpoint.js';
export type { SniffedFormat } from './sniff.js';
export { a1111NetworkShortHash, a1111ShortHash, hashModelFile, legacyModelHash, type HashOptions, type ModelHashes } from './model-hash.js';
