export { ClipTokenizer, type AddedWord, type ClipTokenizerOptions } from './clip-tokenizer.js';
export { bundledClipTokenizerDir } from './bundled.js';
export { DEFAULT_MAX_LENGTH, DEFAULT_SPECIAL_TOKENS } from './tokenizer-files.js';
