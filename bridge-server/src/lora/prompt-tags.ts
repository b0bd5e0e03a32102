/**
 * A1111's LoRA tags in a prompt: `<lora:NAME>`, `<lora:NAME:W>`, `<lora:NAME:TE:UNET>` and the
 * named form `<lora:NAME:te=W:unet=W>` (`<lyco:…>` the same). The tags are removed from the text
 * CLIP sees, as A1111 removes them; the multipliers apply to the text encoders and the UNet.
 */
import { BridgeError } from '@latent-bridge/shared';

export interface LoraTag {
  name: string;
  /** Text-encoder multiplier. */
  te: number;
  /** UNet multiplier. */
  unet: number;
}

const TAG = /<(lora|lyco)\s*:([^>]*)>/gi;

function number(text: string, tag: string, field: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value < -10 || value > 10) {
    throw new BridgeError('prompt_syntax', `${field}: "${tag}" has the multiplier "${text.trim()}"; use a number from -10 to 10`, field);
  }
  return value;
}

function parse(tag: string, body: string, field: string): LoraTag {
  const [rawName = '', ...args] = body.split(':');
  const name = rawName.trim();
  if (name === '') throw new BridgeError('prompt_syntax', `${field}: "${tag}" names no LoRA`, field);
  const positional: number[] = [];
  let te: number | undefined;
  let unet: number | undefined;
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) {
      positional.push(number(arg, tag, field));
      continue;
    }
    const key = arg.slice(0, eq).trim().toLowerCase();
    if (key === 'te') te = number(arg.slice(eq + 1), tag, field);
    else if (key === 'unet') unet = number(arg.slice(eq + 1), tag, field);
    // A1111's dyn= (dynamic rank) and block weights change how much of a LoRA is used; refuse rather than ignore.
    else throw new BridgeError('prompt_syntax', `${field}: "${tag}": the "${key}=" argument is not supported (te= and unet= are)`, field);
  }
  te ??= positional[0] ?? 1;
  unet ??= positional[1] ?? te;
  return { name, te, unet };
}

/** The prompt without its LoRA tags, and the tags in order. */
export function extractLoraTags(prompt: string, field = 'prompt'): { text: string; tags: LoraTag[] } {
  const tags: LoraTag[] = [];
  const text = prompt.replace(TAG, (whole: string, _kind: string, body: string) => {
    tags.push(parse(whole, body, field));
    return '';
  });
  return { text: tags.length === 0 ? prompt : text.replace(/[ \t]{2,}/g, ' ').replace(/\s+,/g, ',').trim(), tags };
}
