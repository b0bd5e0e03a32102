/**
 * Which model family a LoRA was trained on, from its modules alone (for listing and for refusing a
 * LoRA on the wrong model before any merge): a second text encoder means SDXL; otherwise the
 * cross-attention context width (to_k/to_v of attn2 take 768 in SD 1.x, 1024 in SD 2.x, 2048 in
 * SDXL) or the text encoder's width (768 / 1024; SDXL's second is 1280). Undefined when the file
 * says neither (a UNet-only LoRA of self-attention layers).
 */
import type { ModelFamily } from '../models/families.js';
import type { LoraFile } from './lora-file.js';

const BY_CONTEXT: Readonly<Record<number, ModelFamily>> = { 768: 'sd1', 1024: 'sd2', 2048: 'sdxl' };
const BY_TEXT_WIDTH: Readonly<Record<number, ModelFamily>> = { 768: 'sd1', 1024: 'sd2', 1280: 'sdxl' };

export function detectLoraFamily(lora: LoraFile): ModelFamily | undefined {
  if (lora.modules.some((m) => m.component === 'text_encoder_2')) return 'sdxl';
  for (const m of lora.modules) {
    if (m.component === 'unet' && /attn2\.to_[kv]$/.test(m.path)) {
      const family = BY_CONTEXT[m.down.shape[1] ?? 0];
      if (family !== undefined) return family;
    }
  }
  for (const m of lora.modules) {
    if (m.component === 'text_encoder' && /self_attn\.q_proj$/.test(m.path)) {
      const family = BY_TEXT_WIDTH[m.down.shape[1] ?? 0];
      if (family !== undefined) return family;
    }
  }
  // SDXL's UNet has no attention in its first level: SGM names that start there are SD 1.x/2.x.
  if (lora.modules.some((m) => m.component === 'unet' && /^(input_blocks\.[12]\.1|down_blocks\.0\.attentions)\./.test(m.path))) return undefined;
  if (lora.modules.some((m) => m.component === 'unet' && /^label_emb\./.test(m.path))) return 'sdxl';
  return undefined;
}
