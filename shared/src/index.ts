export * from './errors.js';
export * from './protocol/index.js';
export * from './crc32.js';
