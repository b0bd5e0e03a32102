/**
 * The one pipeline entry for every mode. Edit modes take document-scale pixels and return
 * document-scale results (outpaint: the grown canvas), already composited.
 */
import { invalidField } from '@latent-bridge/shared';
import type { Mask, RgbaImage } from '../image/index.js';
import { DEFAULT_IMG2IMG_STRENGTH, img2img } from './img2img.js';
import { DEFAULT_INPAINT_STRENGTH, inpaint } from './inpaint.js';
import type { LoadedModel } from './loaded-model.js';
import { outpaint } from './outpaint.js';
import type { GenerateParams } from './params.js';
import { txt2img, type GenerateResult, type RunOptions } from './txt2img.js';

export type GenerateMode = 'txt2img' | 'img2img' | 'inpaint' | 'outpaint';

export interface GenerateRequest extends GenerateParams {
  mode: GenerateMode;
  image?: RgbaImage;
  mask?: Mask;
  strength?: number;
  grow?: number;
  feather?: number;
  padding?: number;
  expand?: { left: number; top: number; right: number; bottom: number };
  fill?: 'edge' | 'noise';
  /** inpaint: the caller gives `image` up and the last result may be composited into its buffer. */
  reuseImage?: boolean;
}

function required<T>(value: T | undefined, field: string, mode: GenerateMode): T {
  if (value === undefined) throw invalidField(field, `${mode} needs ${field}`);
  return value;
}

/** The strength an edit mode ran with: the caller's, or that mode's default. */
export function effectiveStrength(request: Pick<GenerateRequest, 'mode' | 'strength'>): number | undefined {
  if (request.mode === 'txt2img') return undefined;
  return request.strength ?? (request.mode === 'img2img' ? DEFAULT_IMG2IMG_STRENGTH : DEFAULT_INPAINT_STRENGTH);
}

export async function generate(model: LoadedModel, request: GenerateRequest, options: RunOptions = {}): Promise<GenerateResult> {
  const result = await dispatch(model, request, options);
  const strength = effectiveStrength(request);
  return strength === undefined ? result : { ...result, strength };
}

function dispatch(model: LoadedModel, request: GenerateRequest, options: RunOptions): Promise<GenerateResult> {
  switch (request.mode) {
    case 'txt2img':
      return txt2img(model, request, options);
    case 'img2img':
      return img2img(model, { ...request, image: required(request.image, 'image', 'img2img') }, options);
    case 'inpaint':
      return inpaint(
        model,
        { ...request, image: required(request.image, 'image', 'inpaint'), mask: required(request.mask, 'mask', 'inpaint') },
        options,
      );
    case 'outpaint':
      return outpaint(
        model,
        { ...request, image: required(request.image, 'image', 'outpaint'), expand: required(request.expand, 'expand', 'outpaint') },
        options,
      );
    default:
      throw invalidField('mode', `unknown mode ${String((request as { mode: unknown }).mode)}`);
  }
}
