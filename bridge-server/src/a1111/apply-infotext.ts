/**
 * The request field "infotext" (A1111 1.10's Api.apply_infotext): an image's parameters text fills
 * the request fields the client did not set, and the settings it records (Clip skip, RNG, ENSD, …)
 * become override_settings when they differ from the current ones, as pasting it into A1111 does.
 */
import { coerce, type FieldSpec, type FieldValue } from './fields.js';
import { parseGenerationParameters, type ParsedValue } from './infotext.js';
import type { OptionsView } from './options.js';

type Getter = (d: Record<string, ParsedValue>) => ParsedValue | undefined;
const key = (k: string): Getter => (d) => d[k];

/** paste_fields for both tabs: request field → where its value comes from. */
const FIELDS: ReadonlyArray<[string, Getter]> = [
  ['prompt', key('Prompt')],
  ['negative_prompt', key('Negative prompt')],
  ['steps', key('Steps')],
  ['sampler_name', key('Sampler')],
  ['scheduler', key('Schedule type')],
  ['cfg_scale', key('CFG scale')],
  ['seed', key('Seed')],
  ['width', key('Size-1')],
  ['height', key('Size-2')],
  ['batch_size', key('Batch size')],
  ['subseed', key('Variation seed')],
  ['subseed_strength', key('Variation seed strength')],
  ['seed_resize_from_w', key('Seed resize from-1')],
  ['seed_resize_from_h', key('Seed resize from-2')],
  ['denoising_strength', key('Denoising strength')],
  ['styles', key('Styles array')],
  ['enable_hr', (d) => ('Denoising strength' in d && ('Hires upscale' in d || 'Hires upscaler' in d || 'Hires resize-1' in d) ? true : undefined)],
  ['hr_scale', key('Hires upscale')],
  ['hr_upscaler', key('Hires upscaler')],
  ['hr_second_pass_steps', key('Hires steps')],
  ['hr_resize_x', key('Hires resize-1')],
  ['hr_resize_y', key('Hires resize-2')],
  ['hr_sampler_name', key('Hires sampler')],
  ['hr_scheduler', key('Hires schedule type')],
  ['hr_prompt', key('Hires prompt')],
  ['hr_negative_prompt', key('Hires negative prompt')],
  ['tiling', (d) => (d['Tiling'] === 'True' ? true : undefined)],
  ['mask_blur', key('Mask blur')],
  ['inpaint_full_res_padding', key('Masked area padding')],
  ['inpaint_full_res', (d) => (d['Inpaint area'] === undefined ? undefined : d['Inpaint area'] === 'Only masked')],
  ['inpainting_mask_invert', (d) => (d['Mask mode'] === undefined ? undefined : d['Mask mode'] === 'Inpaint not masked' ? 1 : 0)],
  ['inpainting_fill', (d) => {
    const i = ['fill', 'original', 'latent noise', 'latent nothing'].indexOf(String(d['Masked content']));
    return i < 0 ? undefined : i;
  }],
];

/** infotext_to_setting_name_mapping: infotext keys that are settings. */
const SETTINGS: ReadonlyArray<[string, string]> = [
  ['Clip skip', 'CLIP_stop_at_last_layers'],
  ['Conditional mask weight', 'inpainting_mask_weight'],
  ['Model hash', 'sd_model_checkpoint'],
  ['ENSD', 'eta_noise_seed_delta'],
  ['Noise multiplier', 'initial_noise_multiplier'],
  ['Eta', 'eta_ancestral'],
  ['Eta DDIM', 'eta_ddim'],
  ['Sigma churn', 's_churn'],
  ['Sigma noise', 's_noise'],
  ['RNG', 'randn_source'],
  ['NGMS', 's_min_uncond'],
  ['Emphasis', 'emphasis'],
  ['Token merging ratio', 'token_merging_ratio'],
  ['Token merging ratio hr', 'token_merging_ratio_hr'],
  ['Pad conds', 'pad_cond_uncond'],
];

/**
 * Fills unset fields of `values` (the request as read, `sent` the keys the client sent) from the
 * infotext, and adds its settings to override_settings. Values that do not convert are skipped.
 */
export function applyInfotext(values: Record<string, FieldValue>, sent: ReadonlySet<string>, fields: readonly FieldSpec[], options: OptionsView): void {
  const text = values['infotext'];
  if (typeof text !== 'string' || text === '') return;
  const d = parseGenerationParameters(text);
  for (const [name, get] of FIELDS) {
    const spec = fields.find((f) => f.name === name);
    if (spec === undefined || sent.has(name)) continue;
    const v = get(d);
    if (v === undefined) continue;
    const c = coerce(spec.kind, v);
    if (c.ok) values[name] = c.value;
  }
  const overrides: Record<string, FieldValue> = { ...((values['override_settings'] as Record<string, FieldValue> | null) ?? {}) };
  for (const [label, setting] of SETTINGS) {
    const v = d[label];
    if (v === undefined || setting in overrides) continue;
    // A1111 only swaps checkpoints from an infotext when disable_weights_auto_swap is off.
    if (setting === 'sd_model_checkpoint' && options['disable_weights_auto_swap'] !== false) continue;
    const current = options[setting];
    const converted: FieldValue = typeof current === 'number' ? Number(v) : typeof current === 'boolean' ? v === 'True' || v === true : (v as FieldValue);
    if (typeof converted === 'number' && !Number.isFinite(converted)) continue;
    if (converted !== current) overrides[setting] = converted;
  }
  if (Object.keys(overrides).length > 0) values['override_settings'] = overrides;
}
