/**
 * A1111's `p` as far as results need it, and what comes out of a run: the images, one infotext per
 * image (processing.create_infotext) and Processed.js(), the JSON string /txt2img and /img2img
 * return as "info".
 */
import type { RgbaImage } from '../../image/index.js';
import { SERVER_NAME } from '../../server/version.js';
import { GenerationParams, infotext, pyFloat, pyInt, type InfoValue } from '../infotext.js';
import { optBool, optNumber, optString } from '../options.js';
import { PyFloat, type PyJson } from '../python-json.js';
import type { ResolvedSampler } from '../samplers.js';
import type { RunContext } from './common.js';

/** The processing fields infotexts and Processed.js() read. */
export interface ProcessingRecord {
  prompt: string;
  negative: string;
  styles: string[];
  allPrompts: string[];
  allNegativePrompts: string[];
  allSeeds: number[];
  allSubseeds: number[];
  subseedStrength: number;
  seedResizeFromW: number;
  seedResizeFromH: number;
  sampler: ResolvedSampler;
  steps: number;
  cfgScale: number;
  width: number;
  height: number;
  batchSize: number;
  tiling: boolean;
  /** p.denoising_strength (txt2img keeps its 0.75 default even without hires, as A1111 does). */
  denoisingStrength: number | null;
  /** p.extra_generation_params, in insertion order. */
  extra: GenerationParams;
  inpaintingConditioning: boolean;
}

export interface Processed {
  images: RgbaImage[];
  infotexts: string[];
  /** Processed.js() as an object; the response serializes it to the "info" string. */
  js: Record<string, PyJson>;
}

/** "latent-bridge/0.1.0": A1111 writes its git tag; ours says which program made the image. */
export const VERSION_TEXT = SERVER_NAME;

/** create_infotext for image `index` of the whole job (all_* lists). */
export function createInfotext(p: ProcessingRecord, ctx: RunContext, index: number): string {
  const o = ctx.options;
  const usesEnsd = optNumber(o, 'eta_noise_seed_delta') !== 0 && p.sampler.sampler.options['uses_ensd'] === true;
  const clipSkip = optNumber(o, 'CLIP_stop_at_last_layers');
  const randn = optString(o, 'randn_source');
  const params = new GenerationParams()
    .set('Steps', pyInt(p.steps))
    .set('Sampler', p.sampler.sampler.name)
    .set('Schedule type', p.sampler.scheduleLabel)
    .set('CFG scale', pyFloat(p.cfgScale))
    .set('Seed', pyInt(p.allSeeds[index] ?? p.allSeeds[0] ?? -1))
    .set('Size', `${p.width}x${p.height}`)
    .set('Model hash', optBool(o, 'add_model_hash_to_info') ? ctx.modelHash : undefined)
    .set('Model', optBool(o, 'add_model_name_to_info') ? ctx.modelName : undefined)
    .set('Variation seed', p.subseedStrength === 0 ? undefined : pyInt(p.allSubseeds[index] ?? 0))
    .set('Variation seed strength', p.subseedStrength === 0 ? undefined : pyFloat(p.subseedStrength))
    .set('Seed resize from', p.seedResizeFromW <= 0 || p.seedResizeFromH <= 0 ? undefined : `${p.seedResizeFromW}x${p.seedResizeFromH}`)
    .set('Denoising strength', p.extra.get('Denoising strength'))
    .set('Conditional mask weight', p.inpaintingConditioning ? pyFloat(optNumber(o, 'inpainting_mask_weight')) : undefined)
    .set('Clip skip', clipSkip <= 1 ? undefined : pyInt(clipSkip))
    .set('ENSD', usesEnsd ? pyInt(optNumber(o, 'eta_noise_seed_delta')) : undefined)
    .set('RNG', randn !== 'GPU' ? randn : undefined)
    .set('Tiling', p.tiling ? 'True' : undefined);
  let all = params.merge(p.extra);
  for (const [k, v] of Object.entries(ctx.extraInfo ?? {})) all = all.set(k, v);
  all = all.set('Version', optBool(o, 'add_version_to_infotext') ? VERSION_TEXT : undefined);
  return infotext(p.allPrompts[index] ?? p.prompt, p.allNegativePrompts[index] ?? p.negative, all);
}

function jsValue(v: InfoValue | undefined): PyJson {
  if (v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  return 'int' in v ? v.int : new PyFloat(v.float);
}

/** Processed.js(): the fields A1111 reports for the whole job. */
export function processedJs(p: ProcessingRecord, ctx: RunContext, infotexts: string[], indexOfFirstImage = 0): Record<string, PyJson> {
  const extra: Record<string, PyJson> = {};
  for (const [k, v] of p.extra.entriesList()) extra[k] = jsValue(v);
  return {
    prompt: p.allPrompts[0] ?? p.prompt,
    all_prompts: p.allPrompts,
    negative_prompt: p.allNegativePrompts[0] ?? p.negative,
    all_negative_prompts: p.allNegativePrompts,
    seed: p.allSeeds[0] ?? -1,
    all_seeds: p.allSeeds,
    subseed: p.allSubseeds[0] ?? -1,
    all_subseeds: p.allSubseeds,
    subseed_strength: new PyFloat(p.subseedStrength),
    width: p.width,
    height: p.height,
    sampler_name: p.sampler.sampler.name,
    cfg_scale: new PyFloat(p.cfgScale),
    steps: p.steps,
    batch_size: p.batchSize,
    restore_faces: false,
    face_restoration_model: null,
    sd_model_name: ctx.modelName,
    sd_model_hash: ctx.modelHash ?? null,
    sd_vae_name: null,
    sd_vae_hash: null,
    seed_resize_from_w: p.seedResizeFromW,
    seed_resize_from_h: p.seedResizeFromH,
    denoising_strength: p.denoisingStrength === null ? null : new PyFloat(p.denoisingStrength),
    extra_generation_params: extra,
    index_of_first_image: indexOfFirstImage,
    infotexts,
    styles: p.styles,
    job_timestamp: ctx.state.jobTimestamp,
    clip_skip: optNumber(ctx.options, 'CLIP_stop_at_last_layers'),
    is_using_inpainting_conditioning: p.inpaintingConditioning,
    version: VERSION_TEXT,
  };
}
