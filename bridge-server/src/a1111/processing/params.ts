/**
 * The fields txt2img and img2img share, read from a validated request body the way A1111's
 * StableDiffusionProcessing reads them (None → its default), with the feature checks that must
 * fail before a job is queued.
 */
import type { SeedResize } from '../../pipeline/noise.js';
import { checkAlwaysOnScripts, checkSamplerKnobs, checkSettings, extraNetworkTags, faceRestorationMessage } from '../feature-support.js';
import { httpException } from '../errors.js';
import type { Fields, FieldValue } from '../fields.js';
import { optBool, type OptionsView } from '../options.js';
import { resolveSampler, SAMPLERS, type ResolvedSampler } from '../samplers.js';
import { applyNegativeStyles, applyStyles, pickStyles, type PromptStyle } from '../styles.js';

export interface CommonParams {
  /** After styles. */
  prompt: string;
  negative: string;
  /**
   * What CLIP gets when it differs from prompt/negative: the <lora:…> tags taken out. Infotexts
   * keep the tags, as A1111's all_prompts do.
   */
  clip?: { prompt: string; negative: string };
  /** The prompt fields as sent (Processed.prompt is the raw one). */
  rawPrompt: string;
  rawNegative: string;
  styleNames: string[];
  styles: PromptStyle[];
  seed: number | undefined;
  subseed: number | undefined;
  subseedStrength: number;
  seedResizeFromW: number;
  seedResizeFromH: number;
  seedResize: SeedResize | undefined;
  /** The sampler as A1111 names it, and the one that runs (Euler for Euler a at eta 0). */
  sampler: ResolvedSampler;
  run: ResolvedSampler;
  etaExtra: number | undefined;
  batchSize: number;
  nIter: number;
  steps: number;
  cfgScale: number;
  width: number;
  height: number;
  tiling: boolean;
  sendImages: boolean;
  saveImages: boolean;
  disableExtraNetworks: boolean;
}

const NONE_NAMES = new Set(['', 'none', 'None']);

/** Reads and checks the shared fields; `options` is the job's view (settings + override_settings). */
export function commonParams(f: Fields, options: OptionsView, allStyles: readonly PromptStyle[]): CommonParams {
  checkSettings(options);
  if (f.optBool('restore_faces') === true) throw httpException(422, faceRestorationMessage());
  checkAlwaysOnScripts(f.dict('alwayson_scripts'));
  const refiner = f.optStr('refiner_checkpoint');
  if (refiner !== undefined && !NONE_NAMES.has(refiner)) throw httpException(422, 'The refiner is not available on this server (refiner_checkpoint).');
  if (f.optStr('firstpass_image') !== undefined) throw httpException(422, 'firstpass_image is not supported on this server.');

  const samplerName = f.optStr('sampler_name') ?? f.optStr('sampler_index');
  const sampler = resolveSampler(samplerName, f.optStr('scheduler'));
  const knobs = checkSamplerKnobs(sampler.sampler.name, {
    eta: f.optNum('eta'),
    s_churn: f.optNum('s_churn'),
    s_noise: f.optNum('s_noise'),
    s_min_uncond: f.optNum('s_min_uncond'),
  }, options);
  const run = knobs.deterministic ? deterministicSampler(sampler) : sampler;

  const styleNames = f.strings('styles');
  const styles = pickStyles(allStyles, styleNames);
  const disableExtraNetworks = f.bool('disable_extra_networks', false);
  const rawPrompt = f.str('prompt', '');
  const rawNegative = f.str('negative_prompt', '');
  const prompt = extraNetworkTags(applyStyles(rawPrompt, styles), disableExtraNetworks);
  const negative = extraNetworkTags(applyNegativeStyles(rawNegative, styles), disableExtraNetworks);

  const resizeW = f.num('seed_resize_from_w', -1);
  const resizeH = f.num('seed_resize_from_h', -1);
  return {
    prompt,
    negative,
    rawPrompt,
    rawNegative,
    styleNames,
    styles,
    seed: f.optNum('seed'),
    subseed: f.optNum('subseed'),
    subseedStrength: f.num('subseed_strength', 0),
    seedResizeFromW: resizeW,
    seedResizeFromH: resizeH,
    seedResize: resizeW > 0 && resizeH > 0 ? { width: resizeW, height: resizeH } : undefined,
    sampler,
    run,
    etaExtra: knobs.etaExtra,
    batchSize: f.num('batch_size', 1),
    nIter: f.num('n_iter', 1),
    steps: f.num('steps', 50),
    cfgScale: f.num('cfg_scale', 7),
    width: f.num('width', 512),
    height: f.num('height', 512),
    tiling: f.optBool('tiling') ?? optBool(options, 'tiling'),
    sendImages: f.bool('send_images', true),
    saveImages: f.bool('save_images', false),
    disableExtraNetworks,
  };
}

/** The noise-free twin an eta of 0 makes of an ancestral/SDE sampler (same schedule). */
function deterministicSampler(s: ResolvedSampler): ResolvedSampler {
  if (s.sampler.name === 'DPM++ 2M SDE') return { ...s, overrides: { ...s.overrides, algorithm_type: 'dpmsolver++' } };
  const euler = SAMPLERS.find((x) => x.name === 'Euler');
  return euler === undefined ? s : { ...s, sampler: euler, className: euler.className, overrides: { ...euler.overrides } };
}

/** override_settings as a plain object (null → none). */
export function overrideSettings(f: Fields): Record<string, FieldValue> {
  return f.dict('override_settings');
}
