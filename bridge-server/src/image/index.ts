// The image module: the only place in latent-bridge that touches sharp (through vips.ts).
export * from './geometry.js';
export * from './pixels.js';
export * from './raw.js';
export * from './codec.js';
export * from './resize.js';
export * from './png-text.js';
export * from './tensor.js';
export * from './mask.js';
export * from './composite.js';
export * from './region.js';
export * from './outpaint.js';
export * from './model-io.js';
