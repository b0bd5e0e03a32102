/**
 * The original inference .yaml of an LDM (CompVis, Stability's SD 2) or SGM (SDXL) checkpoint, read
 * as data: which sections configure the UNet, the VAE and the text encoders, and the few facts the
 * tensors cannot tell (parameterization, β range, latent scale). A1111 picks up "model.yaml" next to
 * "model.safetensors"; so does the importer. Nothing in the file is executed: `target:` strings are
 * only compared with known class names.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { BridgeError } from '@latent-bridge/shared';
import type { ModelFamily, PredictionType } from '../models/families.js';

export type Params = Readonly<Record<string, unknown>>;

export interface OriginalConfig {
  readonly file: string;
  readonly family: ModelFamily | undefined;
  readonly prediction: PredictionType | undefined;
  readonly betas: { start: number; end: number } | undefined;
  readonly scaleFactor: number | undefined;
  /** unet_config.params (LDM) or network_config.params (SGM). */
  readonly unet: Params | undefined;
  /** first_stage_config.params.ddconfig */
  readonly vae: Params | undefined;
  /** cond_stage_config (LDM) or each of conditioner.params.emb_models (SGM): {target, params}. */
  readonly textEncoders: readonly { target: string; params: Params }[];
}

function obj(value: unknown): Params | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Params) : undefined;
}

function at(value: unknown, ...path: string[]): unknown {
  let cur = value;
  for (const key of path) cur = obj(cur)?.[key];
  return cur;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function embedder(value: unknown): { target: string; params: Params } | undefined {
  const o = obj(value);
  return o === undefined ? undefined : { target: text(o['target']), params: obj(o['params']) ?? {} };
}

/** Reads and interprets an LDM/SGM yaml; config_invalid-style errors name the file. */
export async function readOriginalConfig(file: string): Promise<OriginalConfig> {
  let root: unknown;
  try {
    root = parse(await readFile(file, 'utf8'), { maxAliasCount: 100 });
  } catch (err) {
    throw new BridgeError('invalid_field', `config ${file}: not readable YAML (${err instanceof Error ? err.message : String(err)})`, 'config');
  }
  const model = obj(at(root, 'model'));
  const params = obj(model?.['params']);
  if (model === undefined || params === undefined) {
    throw new BridgeError('invalid_field', `config ${file}: no model.params section; is this an LDM/SGM inference .yaml?`, 'config');
  }
  const target = text(model['target']);
  const sgm = target.startsWith('sgm.');
  const emb = sgm ? at(params, 'conditioner_config', 'params', 'emb_models') : undefined;
  const textEncoders = sgm
    ? (Array.isArray(emb) ? emb : []).map(embedder).filter((e): e is { target: string; params: Params } => e !== undefined)
    : [embedder(params['cond_stage_config'])].filter((e): e is { target: string; params: Params } => e !== undefined);

  const denoiser = text(at(params, 'denoiser_config', 'params', 'scaling_config', 'target'));
  const parameterization = text(params['parameterization']);
  const prediction: PredictionType | undefined =
    parameterization === 'v' || denoiser.endsWith('VScaling') ? 'v_prediction' : parameterization === 'eps' || denoiser.endsWith('EpsScaling') ? 'epsilon' : undefined;

  const start = num(params['linear_start']);
  const end = num(params['linear_end']);
  const family: ModelFamily | undefined = sgm
    ? 'sdxl'
    : textEncoders.some((e) => e.target.includes('OpenCLIP'))
      ? 'sd2'
      : textEncoders.some((e) => e.target.includes('FrozenCLIPEmbedder'))
        ? 'sd1'
        : undefined;
  return {
    file,
    family,
    prediction,
    betas: start !== undefined && end !== undefined ? { start, end } : undefined,
    scaleFactor: num(params['scale_factor']),
    unet: obj(at(params, sgm ? 'network_config' : 'unet_config', 'params')),
    vae: obj(at(params, 'first_stage_config', 'params', 'ddconfig')),
    textEncoders,
  };
}
