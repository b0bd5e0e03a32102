import { BridgeError, invalidField } from '../errors.js';
import type { GenerateMessage } from './client-messages.js';
import type { Limits } from './limits.js';
import { codePoints } from './text-measure.js';

/**
 * The rules of `generate` that JSON Schema cannot say: which frames each mode needs, how the
 * fields relate, and the server's configurable limits. Throws invalid_field or limit_exceeded.
 */
export function checkGenerate(msg: GenerateMessage, limits: Limits): void {
  checkModeInputs(msg);
  checkSize(msg);
  checkLimits(msg, limits);
}

function checkModeInputs(msg: GenerateMessage): void {
  const { mode, image, mask, expand } = msg;
  const needsImage = mode !== 'txt2img';
  if (needsImage && image === undefined) throw invalidField('image', `${mode} needs an image frame`);
  if (!needsImage && image !== undefined) throw invalidField('image', 'txt2img takes no image');
  if (mode === 'inpaint' && mask === undefined) throw invalidField('mask', 'inpaint needs a mask frame');
  if ((mode === 'txt2img' || mode === 'img2img') && mask !== undefined) throw invalidField('mask', `${mode} takes no mask`);
  if (image !== undefined && mask !== undefined && image.frame === mask.frame) {
    throw invalidField('mask', 'image and mask must be different frames');
  }
  if (mode !== 'outpaint') {
    if (expand !== undefined) throw invalidField('expand', 'only outpaint takes expand');
    return;
  }
  if (expand === undefined) throw invalidField('expand', 'outpaint needs expand');
  if (expand.left + expand.top + expand.right + expand.bottom === 0) {
    throw invalidField('expand', 'outpaint needs at least one side to expand');
  }
}

function checkSize(msg: GenerateMessage): void {
  // One side alone cannot say what the other should be without distorting the image.
  if (msg.width !== undefined && msg.height === undefined) throw invalidField('height', 'is needed when width is given');
  if (msg.height !== undefined && msg.width === undefined) throw invalidField('width', 'is needed when height is given');
}

function checkLimits(msg: GenerateMessage, limits: Limits): void {
  overLimit('steps', msg.steps, limits.maxSteps, 'steps');
  overLimit('batch', msg.batch, limits.maxBatch, 'images');
  overLimit('prompt', codePoints(msg.prompt), limits.maxPromptChars, 'characters');
  overLimit('negative', codePoints(msg.negative), limits.maxPromptChars, 'characters');
  if (msg.width !== undefined && msg.height !== undefined) {
    overLimit('width', msg.width * msg.height, limits.maxPixels, 'pixels (width × height)');
  }
}

function overLimit(field: string, value: number, limit: number, unit: string): void {
  if (value > limit) {
    throw new BridgeError('limit_exceeded', `${field}: ${value} ${unit} is over this server's limit of ${limit}`, field);
  }
}
