/**
 * The naming tables of LoRA files, as data. kohya/A1111 files flatten a module path into one word
 * (`lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q`): dots and the underscores
 * inside names both became `_`, so the path is rebuilt from the list of module-name words that
 * contain an underscore. PEFT/diffusers files keep the dotted path under a component prefix.
 */

/** Which model component a LoRA module adapts. */
export type LoraComponent = 'unet' | 'text_encoder' | 'text_encoder_2';

/** kohya/A1111 key prefixes (longest first: `lora_te1_` must not read as `lora_te_`). */
export const KOHYA_PREFIXES: ReadonlyArray<readonly [string, LoraComponent]> = [
  ['lora_unet_', 'unet'],
  ['lora_te1_', 'text_encoder'],
  ['lora_te2_', 'text_encoder_2'],
  ['lora_te_', 'text_encoder'],
];

/** PEFT/diffusers key prefixes (`base_model.model.` is PEFT's own wrapper around a bare UNet). */
export const PEFT_PREFIXES: ReadonlyArray<readonly [string, LoraComponent]> = [
  ['unet.', 'unet'],
  ['text_encoder_2.', 'text_encoder_2'],
  ['text_encoder.', 'text_encoder'],
  ['base_model.model.', 'unet'],
];

/**
 * Module-name words that contain underscores, in diffusers (UNet2DConditionModel), CompVis/SGM
 * (UNetModel) and transformers (CLIPTextModel) models. Longest first so `conv_norm_out` wins
 * over a shorter match.
 */
export const UNDERSCORE_WORDS: readonly string[] = [
  'conv_norm_out',
  'down_blocks',
  'up_blocks',
  'mid_block',
  'transformer_blocks',
  'to_q',
  'to_k',
  'to_v',
  'to_out',
  'proj_in',
  'proj_out',
  'conv_in',
  'conv_out',
  'conv_shortcut',
  'time_emb_proj',
  'time_embedding',
  'add_embedding',
  'linear_1',
  'linear_2',
  'cond_proj',
  'input_blocks',
  'middle_block',
  'output_blocks',
  'in_layers',
  'out_layers',
  'emb_layers',
  'skip_connection',
  'time_embed',
  'label_emb',
  'text_model',
  'self_attn',
  'q_proj',
  'k_proj',
  'v_proj',
  'out_proj',
  'text_projection',
];

const WORDS = new Set(UNDERSCORE_WORDS);
const LONGEST = Math.max(...UNDERSCORE_WORDS.map((w) => w.split('_').length));

/** `down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0` → `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0`. */
export function dottedPath(flat: string): string {
  const parts = flat.split('_');
  const out: string[] = [];
  for (let i = 0; i < parts.length; ) {
    let taken = 1;
    for (let n = Math.min(LONGEST, parts.length - i); n > 1; n--) {
      if (WORDS.has(parts.slice(i, i + n).join('_'))) {
        taken = n;
        break;
      }
    }
    out.push(parts.slice(i, i + taken).join('_'));
    i += taken;
  }
  return out.join('.');
}

/** The parts of a LoRA module's tensors, by key suffix, per format. */
export const KOHYA_SUFFIXES = { down: '.lora_down.weight', up: '.lora_up.weight', alpha: '.alpha', mid: '.lora_mid.weight' } as const;

/** PEFT / diffusers suffixes: [down, up] pairs. */
export const PEFT_SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['.lora_A.weight', '.lora_B.weight'],
  ['.lora.down.weight', '.lora.up.weight'],
  ['.lora_linear_layer.down.weight', '.lora_linear_layer.up.weight'],
  // diffusers' first format: `attn1.processor.to_q_lora.down.weight`.
  ['_lora.down.weight', '_lora.up.weight'],
];

/** Keys of LyCORIS algorithms this bridge does not merge, named in the error. */
export const UNSUPPORTED_ALGORITHMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\.hada_w[12]_[ab]$|\.hada_t[12]$/, 'LoHa'],
  [/\.lokr_w[12](_[ab])?$|\.lokr_t2$/, 'LoKr'],
  [/\.(oft_blocks|oft_diag)$/, 'OFT'],
  [/\.(b_norm|w_norm)$/, 'GLoRA/norm'],
  [/\.diff(_b)?$/, 'full-weight difference (LyCORIS "full")'],
  [/\.lora_mid\.weight$/, 'LoCon with Tucker decomposition (lora_mid)'],
];
