/**
 * What a model folder says about its family, prediction type and defaults, read from the files
 * diffusers and optimum write (model_index.json, component configs, scheduler config) and from the
 * latent-bridge.json an import leaves.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { jobDefaults, recommendedSizes, type JobDefaults, type ModelFamily, type ModelVariant, type PredictionType } from './families.js';
import { MODEL_INDEX, PROVENANCE_FILE, SCHEDULER_CONFIG, type ModelProvenance } from './model-layout.js';
import { isSdxlIndex } from './validate-model.js';

function field(json: unknown, key: string): unknown {
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[key] : undefined;
}

/** SDXL by its pipeline or second encoder; SD 2.x by its OpenCLIP text encoder (1024 wide, gelu). */
export function familyOf(json: ReadonlyMap<string, unknown>, hasTextEncoder2: boolean): ModelFamily {
  if (hasTextEncoder2 || isSdxlIndex(json.get(MODEL_INDEX))) return 'sdxl';
  const text = json.get('text_encoder/config.json');
  const unet = json.get('unet/config.json');
  if (field(text, 'hidden_size') === 1024 || field(text, 'hidden_act') === 'gelu' || field(unet, 'cross_attention_dim') === 1024) {
    return 'sd2';
  }
  return 'sd1';
}

export function variantOf(inChannels: number): ModelVariant {
  return inChannels === 9 ? 'inpaint' : inChannels === 8 ? 'pix2pix' : 'base';
}

export function predictionOf(json: ReadonlyMap<string, unknown>): PredictionType {
  return field(json.get(SCHEDULER_CONFIG), 'prediction_type') === 'v_prediction' ? 'v_prediction' : 'epsilon';
}

/** diffusers' default is true for SDXL pipelines; SD 1.x/2.x pipelines have no such option. */
export function forceZerosOf(json: ReadonlyMap<string, unknown>, family: ModelFamily): boolean {
  const value = field(json.get(MODEL_INDEX), 'force_zeros_for_empty_prompt');
  return typeof value === 'boolean' ? value : family === 'sdxl';
}

/**
 * Few-step models (SD/SDXL-Turbo, Lightning, Hyper, LCM) share their base model's architecture; their
 * name and scheduler config tell them apart. Turbo and Lightning run without guidance; LCM with its
 * own scheduler at guidance 1..2.
 */
export function fewStepDefaults(name: string, scheduler: unknown): Partial<JobDefaults> | undefined {
  const className = field(scheduler, '_class_name');
  if (className === 'LCMScheduler' || /(^|[^a-z])lcm([^a-z]|$)/i.test(name)) return { steps: 4, guidance: 1, scheduler: 'lcm' };
  if (/turbo/i.test(name)) return { steps: 1, guidance: 0, scheduler: 'euler_a' };
  if (/lightning|hyper/i.test(name)) return { steps: 4, guidance: 0, scheduler: 'euler' };
  if (field(scheduler, 'timestep_spacing') === 'trailing') return { steps: 4, guidance: 0 };
  return undefined;
}

export function defaultsOf(
  name: string,
  family: ModelFamily,
  side: number,
  json: ReadonlyMap<string, unknown>,
  provenance: ModelProvenance | undefined,
): { defaults: JobDefaults; sizes: ReturnType<typeof recommendedSizes> } {
  const base = jobDefaults(family, side);
  const fewStep = fewStepDefaults(provenance?.title ?? name, json.get(SCHEDULER_CONFIG));
  return { defaults: { ...base, ...fewStep, ...provenance?.defaults }, sizes: recommendedSizes(family, side) };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The folder's latent-bridge.json, or undefined when there is none or it does not parse. */
export async function readProvenance(dir: string): Promise<ModelProvenance | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path.join(dir, PROVENANCE_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const source = str(field(parsed, 'source'));
  if (source === undefined) return undefined;
  const defaults = field(parsed, 'defaults');
  return {
    source,
    sha256: str(field(parsed, 'sha256')),
    shortHash: str(field(parsed, 'shortHash')),
    title: str(field(parsed, 'title')) ?? path.basename(dir),
    importedAt: str(field(parsed, 'importedAt')) ?? '',
    importer: str(field(parsed, 'importer')) ?? '',
    dtype: field(parsed, 'dtype') === 'fp16' ? 'fp16' : 'fp32',
    defaults: typeof defaults === 'object' && defaults !== null ? sanitizeDefaults(defaults as Record<string, unknown>) : undefined,
  };
}

function sanitizeDefaults(raw: Record<string, unknown>): Partial<JobDefaults> {
  const out: Partial<JobDefaults> = {};
  for (const key of ['width', 'height', 'steps'] as const) {
    const v = raw[key];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) out[key] = v;
  }
  if (typeof raw['guidance'] === 'number' && raw['guidance'] >= 0) out.guidance = raw['guidance'];
  if (typeof raw['scheduler'] === 'string') out.scheduler = raw['scheduler'];
  return out;
}
