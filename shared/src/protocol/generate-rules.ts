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
  checkSequences(msg);
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

/** Animation and prompt lists make one result per frame or entry, from txt2img. */
function checkSequences(msg: GenerateMessage): void {
  const { animation, prompts } = msg;
  if (animation === undefined && prompts === undefined) return;
  const field = animation !== undefined ? 'animation' : 'prompts';
  if (animation !== undefined && prompts !== undefined) throw invalidField('prompts', 'a job is either an animation or a prompt list');
  if (msg.mode !== 'txt2img') throw invalidField(field, `${field} needs mode txt2img`);
  if (msg.batch !== 1) throw invalidField('batch', `${field} makes one result per ${animation ? 'frame' : 'entry'}; batch must be 1`);
  if (animation !== undefined && msg.variation !== undefined) throw invalidField('variation', 'an animation moves between seeds with animation.toSeed instead');
  if (prompts !== undefined && msg.prompt !== '') throw invalidField('prompt', 'must be "" when prompts is given (each entry has its own)');
}

function checkLimits(msg: GenerateMessage, limits: Limits): void {
  overLimit('steps', msg.steps, limits.maxSteps, 'steps');
  overLimit('batch', msg.batch, limits.maxBatch, 'images');
  if (msg.animation !== undefined) overLimit('animation.frames', msg.animation.frames, limits.maxResults, 'frames');
  if (msg.prompts !== undefined) {
    overLimit('prompts', msg.prompts.length, limits.maxResults, 'entries');
    msg.prompts.forEach((entry, i) => {
      overLimit(`prompts.${i}.prompt`, codePoints(entry.prompt), limits.maxPromptChars, 'characters');
      if (entry.negative !== undefined) overLimit(`prompts.${i}.negative`, codePoints(entry.negative), limits.maxPromptChars, 'characters');
      if (entry.steps !== undefined) overLimit(`prompts.${i}.steps`, entry.steps, limits.maxSteps, 'steps');
    });
  }
  if (msg.animation?.toPrompt !== undefined) overLimit('animation.toPrompt', codePoints(msg.animation.toPrompt), limits.maxPromptChars, 'characters');
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
