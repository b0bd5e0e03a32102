/** `FILE[:WEIGHT]` as the CLI takes LoRAs (`--lora style.safetensors:0.8`). */
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import type { LoraUse } from './lora-set.js';

/** The weight is what follows the last colon when that is a number (so `C:\\x.safetensors` stays a path). */
export function parseLoraSpec(spec: string, field = 'lora'): LoraUse {
  const colon = spec.lastIndexOf(':');
  const tail = colon > 0 ? spec.slice(colon + 1) : '';
  const weight = tail !== '' && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(tail) ? Number(tail) : undefined;
  const file = weight === undefined ? spec : spec.slice(0, colon);
  if (file === '') throw new BridgeError('invalid_field', `${field}: "${spec}" names no file`, field);
  if (weight !== undefined && (weight < -10 || weight > 10)) throw new BridgeError('invalid_field', `${field}: weight ${weight} is outside -10..10`, field);
  return { file, weight: weight ?? 1, label: path.basename(file).replace(/\.(safetensors|ckpt|pt|pth|bin)$/i, '') };
}
