/**
 * From what the user points at to the plan's inputs: a single-file LDM/SGM checkpoint (its
 * components under their prefixes, an optional .yaml beside it or given, an optional separate VAE)
 * or a diffusers folder (one weight file or shard set per component, its own configs).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { openCheckpoint } from '../checkpoint/open-checkpoint.js';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import type { ModelFamily, ModelVariant, PredictionType } from '../models/families.js';
import { variantOf } from '../models/folder-facts.js';
import { isSdxlIndex } from '../models/validate-model.js';
import type { FloatType } from '../onnx/index.js';
import { detectCheckpoint } from './detect-checkpoint.js';
import type { PlanInputs, TextEncoderSpec } from './import-plan.js';
import { penultimateFor } from './import-plan.js';
import { diffusersVaeWeights, findComponentWeights } from './layouts/diffusers.js';
import { diffusersUnetWeights } from './layouts/diffusers-unet.js';
import { ldmUnetWeights } from './layouts/ldm-unet.js';
import { ldmVaeWeights } from './layouts/ldm-vae.js';
import type { ComponentWeights } from './layouts/mapping.js';
import { readOriginalConfig, type OriginalConfig } from './ldm-yaml.js';
import { MergedSource } from './merged-source.js';
import { originalTextEncoders } from './text-config.js';

export interface SourceOptions {
  floatType: FloatType;
  /** --prediction-type: wins over everything the files say. */
  prediction?: PredictionType;
  /** --config: an LDM/SGM .yaml, or a diffusers-style folder with config.json files under unet/, vae/ and text_encoder(_2)/. */
  config?: string;
  /** --vae: a separate VAE file (LDM or diffusers names). */
  vae?: string;
  vaeFp16Safe?: boolean;
  /** --ema: the EMA copy of the UNet. */
  ema?: boolean;
}

/** Everything opened for an import; close() releases the file handles. */
export interface OpenedSources {
  inputs: PlanInputs;
  /** A file's leftover top-level keys no component took, and other remarks for the user. */
  notes: string[];
  /** The scheduler config the source ships (diffusers folders), used instead of the family's. */
  schedulerConfig: Record<string, unknown> | undefined;
  /** Tokenizer folders the source ships (diffusers folders), copied instead of the bundled vocabulary. */
  tokenizerDirs: string[];
  close(): Promise<void>;
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() === true;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() === true;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    throw new BridgeError('model_invalid', `${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, path.basename(file));
  }
}

async function optionalJson(file: string): Promise<unknown> {
  return (await isFile(file)) ? readJson(file) : undefined;
}

/** The .yaml the user gave, or the one A1111 would pick up: same name as the checkpoint, beside it. */
async function originalConfigFor(checkpoint: string, given: string | undefined): Promise<OriginalConfig | undefined> {
  if (given !== undefined) return (await isDirectory(given)) ? undefined : readOriginalConfig(given);
  const beside = `${checkpoint.slice(0, checkpoint.length - path.extname(checkpoint).length)}.yaml`;
  return (await isFile(beside)) ? readOriginalConfig(beside) : undefined;
}

/**
 * What the weights are trained to predict. SD 2.x single files do not say; diffusers' own rule is
 * v-prediction unless the file is the 512-base release (global_step 875000), and base releases carry
 * "base" in their names.
 */
function predictionFor(
  family: ModelFamily,
  file: string,
  o: SourceOptions,
  original: OriginalConfig | undefined,
  vPredMarker: boolean,
  globalStep: number | undefined,
  notes: string[],
): PredictionType {
  if (o.prediction !== undefined) return o.prediction;
  if (original?.prediction !== undefined) return original.prediction;
  if (vPredMarker) return 'v_prediction';
  if (family !== 'sd2') return 'epsilon';
  const base = globalStep === 875000 || /(^|[^a-z])base([^a-z]|$)/i.test(path.basename(file));
  const chosen: PredictionType = base ? 'epsilon' : 'v_prediction';
  notes.push(`SD 2.x file with no .yaml: taken as ${chosen} (${base ? 'a 512 base model' : 'a 768-v model'}); pass --prediction-type to override`);
  return chosen;
}

async function openVae(file: string): Promise<{ source: TensorSource; weights: ComponentWeights }> {
  const source = await openCheckpoint(file);
  const keys = source.keys();
  if (keys.some((k) => k.startsWith('first_stage_model.'))) return { source, weights: ldmVaeWeights(source, 'first_stage_model.') };
  if (keys.some((k) => k.startsWith('encoder.down.') || k.startsWith('decoder.up.'))) return { source, weights: ldmVaeWeights(source, '') };
  return { source, weights: diffusersVaeWeights(source) };
}

/** Top-level keys of a single file that no component claims and that are not known bookkeeping. */
function leftoverKeys(source: TensorSource, claimedPrefixes: readonly string[]): string[] {
  const harmless = /^(betas|alphas_cumprod|alphas_cumprod_prev|sqrt_|log_one_minus|posterior_|model_ema\.|logvar$|v_pred$|ztsnr$|lvlb_weights$|denoiser\.sigmas$)/;
  return source.keys().filter((k) => !claimedPrefixes.some((p) => k.startsWith(p)) && !harmless.test(k));
}

export async function openSingleFile(file: string, o: SourceOptions): Promise<OpenedSources> {
  const source = await openCheckpoint(file);
  const handles: TensorSource[] = [source];
  try {
    const kind = detectCheckpoint(source);
    const notes: string[] = [];
    const original = await originalConfigFor(file, o.config);
    if (original?.family !== undefined && original.family !== kind.family) {
      throw new BridgeError('invalid_field', `config ${original.file} describes an ${original.family} model but ${file} holds ${kind.family}`, 'config');
    }
    const globalStep = 'values' in source && source.values instanceof Map ? Number(source.values.get('global_step')) : undefined;
    const prediction = predictionFor(kind.family, file, o, original, kind.markers.vPrediction, Number.isFinite(globalStep) ? globalStep : undefined, notes);
    const yamlEncoders = original === undefined ? [] : originalTextEncoders(original);
    const textEncoders: TextEncoderSpec[] = kind.textEncoders.map((t, i) => ({
      source,
      prefix: t.prefix,
      layout: t.layout,
      names: 'original' as const,
      penultimate: penultimateFor(kind.family, t.layout, yamlEncoders[i]),
      projection: kind.family === 'sdxl' && i === 1,
    }));
    let vae: ComponentWeights;
    if (o.vae !== undefined) {
      const opened = await openVae(o.vae);
      handles.push(opened.source);
      vae = opened.weights;
      if (kind.vaePrefix !== undefined) notes.push(`the VAE in ${path.basename(file)} was replaced by ${path.basename(o.vae)}`);
    } else if (kind.vaePrefix !== undefined) {
      vae = ldmVaeWeights(source, kind.vaePrefix);
    } else {
      throw new BridgeError('checkpoint_unsupported', `${file} holds no VAE; import it with --vae pointing at a VAE file`, 'vae');
    }
    const unet = ldmUnetWeights(source, { prefix: kind.unetPrefix, ema: o.ema === true });
    const leftovers = leftoverKeys(source, [kind.unetPrefix, kind.vaePrefix ?? 'first_stage_model.', ...kind.textEncoders.map((t) => t.prefix)]);
    if (leftovers.length > 0) notes.push(`${leftovers.length} tensor(s) belong to no component and were not imported: ${leftovers.slice(0, 6).join(', ')}${leftovers.length > 6 ? ', …' : ''}`);
    const inputs: PlanInputs = {
      family: kind.family,
      variant: kind.variant,
      prediction,
      floatType: o.floatType,
      unet,
      vae,
      textEncoders,
      ...(o.vaeFp16Safe !== undefined ? { vaeFp16Safe: o.vaeFp16Safe } : {}),
      ...(original !== undefined ? { original } : {}),
    };
    return { inputs, notes, schedulerConfig: undefined, tokenizerDirs: [], close: () => closeAll(handles) };
  } catch (err) {
    await closeAll(handles);
    throw err;
  }
}

async function closeAll(sources: readonly TensorSource[]): Promise<void> {
  await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
}

async function openComponent(folder: string, component: string, variant: string | undefined, handles: TensorSource[]): Promise<TensorSource> {
  const files = await findComponentWeights(folder, component, variant);
  const parts: TensorSource[] = [];
  for (const f of files) {
    const opened = await openCheckpoint(f);
    handles.push(opened);
    parts.push(opened);
  }
  return parts.length === 1 ? (parts[0] as TensorSource) : new MergedSource(parts);
}

function field(json: unknown, key: string): unknown {
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[key] : undefined;
}

/** A diffusers folder: model_index.json with unet/, vae/, text_encoder/ (+ text_encoder_2/, tokenizer_2/ for SDXL). */
export async function openDiffusersFolder(folder: string, o: SourceOptions & { variant?: string }): Promise<OpenedSources> {
  const index = await readJson(path.join(folder, 'model_index.json'));
  const handles: TensorSource[] = [];
  try {
    const sdxl = isSdxlIndex(index);
    const configDir = o.config !== undefined && (await isDirectory(o.config)) ? o.config : folder;
    const configOf = (component: string) => optionalJson(path.join(configDir, component, 'config.json'));
    const textConfig = await configOf('text_encoder');
    const family: ModelFamily = sdxl ? 'sdxl' : field(textConfig, 'hidden_act') === 'gelu' || field(textConfig, 'hidden_size') === 1024 ? 'sd2' : 'sd1';
    const unetConfigJson = await configOf('unet');
    const inChannels = field(unetConfigJson, 'in_channels');
    const variant: ModelVariant = variantOf(typeof inChannels === 'number' ? inChannels : 4);
    const schedulerConfig = (await optionalJson(path.join(folder, 'scheduler', 'scheduler_config.json'))) as Record<string, unknown> | undefined;
    const stated = field(schedulerConfig, 'prediction_type');
    const prediction: PredictionType = o.prediction ?? (stated === 'v_prediction' ? 'v_prediction' : 'epsilon');

    const unet = diffusersUnetWeights(await openComponent(folder, 'unet', o.variant, handles));
    const vaeSource = o.vae !== undefined ? undefined : await openComponent(folder, 'vae', o.variant, handles);
    let vae: ComponentWeights;
    if (vaeSource !== undefined) vae = diffusersVaeWeights(vaeSource);
    else {
      const opened = await openVae(o.vae as string);
      handles.push(opened.source);
      vae = opened.weights;
    }
    const encoders: TextEncoderSpec[] = [];
    for (const [i, component] of (sdxl ? ['text_encoder', 'text_encoder_2'] : ['text_encoder']).entries()) {
      const source = await openComponent(folder, component, o.variant, handles);
      const configJson = await configOf(component);
      const layout = field(configJson, 'hidden_act') === 'gelu' ? 'open-clip' : 'clip';
      encoders.push({ source, prefix: '', layout, names: 'transformers', penultimate: false, projection: sdxl && i === 1, configJson });
    }
    const tokenizerDirs: string[] = [];
    for (const t of sdxl ? ['tokenizer', 'tokenizer_2'] : ['tokenizer']) {
      if (await isFile(path.join(folder, t, 'vocab.json'))) tokenizerDirs.push(path.join(folder, t));
    }
    const inputs: PlanInputs = {
      family,
      variant,
      prediction,
      floatType: o.floatType,
      unet,
      unetConfigJson,
      vae,
      vaeConfigJson: await configOf('vae'),
      textEncoders: encoders,
      ...(o.vaeFp16Safe !== undefined ? { vaeFp16Safe: o.vaeFp16Safe } : {}),
    };
    return {
      inputs,
      notes: [],
      schedulerConfig: schedulerConfig === undefined ? undefined : { ...schedulerConfig, prediction_type: prediction },
      tokenizerDirs: tokenizerDirs.length === encoders.length ? tokenizerDirs : [],
      close: () => closeAll(handles),
    };
  } catch (err) {
    await closeAll(handles);
    throw err;
  }
}
