// Library entry: the pieces other programs (and our tests) drive without the CLI.
export * from '@latent-bridge/shared';
export * from './server/index.js';
export { defaultConfigDir, loadOrCreateToken, tokenMatches, generateToken, TOKEN_FILE } from './config/index.js';
export { oracleColourOfPrompt, oracleExpectedPixel, type OracleExpectation } from './testmodels/index.js';
export { decodeImage, encodePng, readPngParameters, type RgbaImage, type Mask } from './image/index.js';
export { generate, effectiveStrength, type GenerateRequest, type GenerateMode } from './pipeline/generate.js';
export { txt2img, type GenerateResult, type RunOptions, type ProgressEvent } from './pipeline/txt2img.js';
export { LoadedModel } from './pipeline/loaded-model.js';
export { formatParameters, parseParameters, samplerLabel, type GenerationParameters } from './metadata/a1111.js';
export { parametersText, animationFields } from './metadata/parameters-text.js';

// Scripting API (README "Scripting with the library"): seeded noise, tokenizer, schedulers, model
// store, checkpoint import and every pipeline, reachable without internal dist/ paths.
export { TorchGenerator, type TorchSeed, type TorchGeneratorState } from './random/torch-generator.js';
export { ClipTokenizer, bundledClipTokenizerDir, type ClipTokenizerOptions } from './tokenizer/index.js';
export {
  createScheduler,
  img2imgTimesteps,
  SCHEDULER_NAMES,
  schedulerClassName,
  type Scheduler,
  type SchedulerConfig,
  type StepResult,
} from './pipeline/schedulers/index.js';
export { ModelStore, defaultModelsRoot, inspectModel, pullModel, type ModelInfo, type PullOptions } from './models/index.js';
export { importModel, modelNameFor, type ImportOptions, type ImportResult } from './convert/import-model.js';
export type { GenerateParams } from './pipeline/params.js';
export { img2img, type Img2ImgRequest } from './pipeline/img2img.js';
export { inpaint, type InpaintRequest } from './pipeline/inpaint.js';
export { outpaint, type OutpaintRequest } from './pipeline/outpaint.js';
export { animate, type AnimationRequest, type AnimationResult, type AnimationFrame } from './pipeline/animate.js';
