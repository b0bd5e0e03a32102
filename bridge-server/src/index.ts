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
