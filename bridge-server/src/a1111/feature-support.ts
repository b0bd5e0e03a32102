/**
 * What A1111 can be asked for and this bridge does not do. Each is answered with a 422 that names
 * the field or setting, before the job waits in the queue: a client must never get images made
 * without something it asked for (A1111 itself, with the part absent, often carries on silently:
 * a missing face restorer or LoRA is skipped, an unknown style applies nothing).
 */
import { httpException } from './errors.js';
import type { FieldValue } from './fields.js';
import { optNumber, type OptionsView } from './options.js';

/** Settings whose other values change what A1111 generates, with the values this bridge runs. */
const SETTING_RULES: ReadonlyArray<{ key: string; ok: (v: FieldValue | undefined) => boolean; why: string }> = [
  { key: 'CLIP_stop_at_last_layers', ok: (v) => v === undefined || v === null || Number(v) <= 1, why: 'Clip skip needs the text encoder\'s hidden layers, which ONNX text encoders here do not output' },
  { key: 'randn_source', ok: (v) => v === undefined || v === 'CPU', why: 'noise is drawn as torch\'s CPU generator draws it (set randn_source to "CPU")' },
  { key: 'emphasis', ok: (v) => v === undefined || v === 'Original', why: 'prompt emphasis is computed the "Original" way' },
  { key: 'sd_vae', ok: (v) => v === undefined || v === null || v === 'Automatic' || v === 'None', why: 'there are no separate VAE files (GET /sdapi/v1/sd-vae is empty); each model uses its own VAE' },
  { key: 'sd_unet', ok: (v) => v === undefined || v === 'Automatic', why: 'there are no separate UNets' },
  { key: 'samples_format', ok: (v) => v === undefined || String(v).toLowerCase() === 'png', why: 'results are PNG with a "parameters" text chunk' },
  { key: 'token_merging_ratio', ok: (v) => !(Number(v) > 0), why: 'token merging is not implemented' },
  { key: 'token_merging_ratio_hr', ok: (v) => !(Number(v) > 0), why: 'token merging is not implemented' },
  { key: 'token_merging_ratio_img2img', ok: (v) => !(Number(v) > 0), why: 'token merging is not implemented' },
  { key: 's_min_uncond', ok: (v) => !(Number(v) > 0), why: 'negative guidance minimum sigma (NGMS) is not implemented' },
  { key: 'img2img_color_correction', ok: (v) => v !== true, why: 'img2img colour correction is not implemented' },
  { key: 'img2img_extra_noise', ok: (v) => !(Number(v) > 0), why: 'img2img extra noise is not implemented' },
  { key: 'use_old_hires_fix_width_height', ok: (v) => v !== true, why: 'only the current hires fix sizing is implemented' },
  { key: 'use_old_scheduling', ok: (v) => v !== true, why: 'only the current prompt editing timeline is implemented' },
  { key: 'use_old_karras_scheduler_sigmas', ok: (v) => v !== true, why: 'only the current Karras sigmas are implemented' },
  { key: 'sd_noise_schedule', ok: (v) => v === undefined || v === 'Default', why: 'only the model\'s own noise schedule is implemented' },
  { key: 'pad_cond_uncond', ok: (v) => v !== true, why: 'prompt and negative are always padded to the same length here' },
];

function refuse(detail: string): never {
  throw httpException(422, detail);
}

/** The settings a job runs with, checked against what the bridge implements. */
export function checkSettings(options: OptionsView): void {
  for (const rule of SETTING_RULES) {
    const v = options[rule.key];
    if (!rule.ok(v)) refuse(`Setting ${rule.key}=${JSON.stringify(v)} is not supported on this server: ${rule.why}.`);
  }
  if (options['face_restoration'] === true) refuse(faceRestorationMessage());
}

export function faceRestorationMessage(): string {
  return 'Face restoration is not available on this server: no face restorer is installed (GET /sdapi/v1/face-restorers is empty).';
}

/** Built-in A1111 scripts that only carry UI values; A1111's API skips their setup (setup_for_ui_only). */
const UI_ONLY_SCRIPTS = new Set(['sampler', 'seed', 'comments']);

/** alwayson_scripts: the UI-only built-ins are accepted as A1111 accepts them, the refiner only switched off. */
export function checkAlwaysOnScripts(scripts: Readonly<Record<string, FieldValue>>): void {
  for (const [name, value] of Object.entries(scripts)) {
    const key = name.toLowerCase();
    if (UI_ONLY_SCRIPTS.has(key)) continue;
    if (key === 'refiner') {
      const args = typeof value === 'object' && value !== null && !Array.isArray(value) ? value['args'] : undefined;
      if (!Array.isArray(args) || args[0] !== true) continue;
      refuse('The refiner is not available on this server (alwayson_scripts.Refiner enables it).');
    }
    refuse(`Script '${name}' not found`);
  }
}

/** The A1111 samplers' extra knobs: values that change the sampler from what our scheduler runs. */
export function checkSamplerKnobs(
  samplerName: string,
  knobs: { eta?: number | undefined; s_churn?: number | undefined; s_noise?: number | undefined; s_min_uncond?: number | undefined },
  options: OptionsView,
): { deterministic: boolean; etaExtra: number | undefined } {
  if ((knobs.s_min_uncond ?? 0) > 0) refuse('s_min_uncond (NGMS) is not implemented on this server; send 0.');
  const churn = knobs.s_churn ?? optNumber(options, 's_churn');
  if (churn !== 0 && ['Euler', 'Heun'].includes(samplerName)) refuse(`s_churn=${churn} is not implemented on this server for ${samplerName}; send 0.`);
  const sNoise = knobs.s_noise ?? optNumber(options, 's_noise');
  if (sNoise !== 1 && ['Euler a', 'DPM++ 2M SDE'].includes(samplerName)) refuse(`s_noise=${sNoise} is not implemented on this server for ${samplerName}; send 1.`);
  if (samplerName === 'DDIM') {
    const eta = knobs.eta ?? optNumber(options, 'eta_ddim');
    if (eta !== 0) refuse(`eta=${eta} is not implemented on this server for DDIM; send 0.`);
    return { deterministic: false, etaExtra: undefined };
  }
  if (samplerName === 'Euler a' || samplerName === 'DPM++ 2M SDE') {
    const eta = knobs.eta ?? optNumber(options, 'eta_ancestral');
    // With eta 0 these add no noise: Euler ancestral is Euler and DPM++ 2M SDE is DPM++ 2M, step for step.
    if (eta === 0) return { deterministic: true, etaExtra: 0 };
    if (eta !== 1) refuse(`eta=${eta} is not implemented on this server for ${samplerName}; send 1 or 0.`);
  }
  return { deterministic: false, etaExtra: undefined };
}

const EXTRA_NETWORK = /<(lora|lyco|hypernet)\s*:\s*([^:>]+)[^>]*>/gi;

/**
 * Extra-network tags ("<lora:name:0.8>"): LoRA tags stay in the prompt and are applied from the
 * bridge's LoRA folder when the job is made (see routes-generate); hypernetworks the bridge does not
 * have, so their tags are refused (A1111 logs "Networks not found" and carries on). With
 * disable_extra_networks every tag is removed, as A1111 removes them.
 */
export function extraNetworkTags(prompt: string, disabled: boolean): string {
  const tags = [...prompt.matchAll(EXTRA_NETWORK)];
  if (tags.length === 0) return prompt;
  if (disabled) return prompt.replace(EXTRA_NETWORK, '');
  const hypernet = tags.find((t) => (t[1] ?? '').toLowerCase() === 'hypernet');
  if (hypernet !== undefined) refuse(`Hypernetwork '${(hypernet[2] ?? '').trim()}' not found: this server has no hypernetworks (GET /sdapi/v1/hypernetworks is empty).`);
  return prompt;
}
