/** Turns a model folder into the facts the pipeline needs, refusing folders that would not load. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import {
  componentModelPath,
  DEFAULT_NATIVE_SIZE,
  DEFAULT_SCALING_FACTOR,
  SCHEDULER_CONFIG,
  TOKENIZER_2_DIR,
  TOKENIZER_DIR,
  VAE_SCALE,
  type ModelInfo,
} from './model-layout.js';
import { defaultsOf, familyOf, forceZerosOf, predictionOf, readProvenance, variantOf } from './folder-facts.js';
import { scanModelFolder, type FolderScan } from './validate-model.js';

function numberField(json: unknown, key: string): number | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const value = (json as Record<string, unknown>)[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Stable Diffusion 1.x/2.x UNets have four levels (three downsamplings). */
const SD_UNET_LEVELS = 4;

/** How many resolution levels unet/config.json gives the UNet (one per block_out_channels entry). */
function blockCount(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const value = (json as Record<string, unknown>)['block_out_channels'];
  return Array.isArray(value) && value.length >= 1 && value.length <= 8 ? value.length : undefined;
}

/** sample_size may be a number or [height, width] in newer configs. */
function sampleSize(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const value = (json as Record<string, unknown>)['sample_size'];
  if (typeof value === 'number' && value > 0) return value;
  if (Array.isArray(value) && typeof value[0] === 'number' && value[0] > 0) return value[0];
  return undefined;
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

function invalidModel(scan: FolderScan): BridgeError {
  const list = scan.problems.map((p) => `  - ${p.message}`).join('\n');
  return new BridgeError('model_invalid', `Model folder ${scan.dir} is not usable:\n${list}`, scan.problems[0]?.path);
}

/** Describes a model folder; throws model_invalid listing every problem when it has any. */
export async function inspectModel(dir: string): Promise<ModelInfo> {
  const scan = await scanModelFolder(dir);
  if (scan.problems.length > 0) throw invalidModel(scan);
  return modelInfoFromScan(scan);
}

/** The ModelInfo of a scan that found no problems. */
export async function modelInfoFromScan(scan: FolderScan): Promise<ModelInfo> {
  const { dir, json, outlines } = scan;

  const unetConfig = json.get('unet/config.json');
  const sample = outlines.unet?.inputs.find((i) => i.name === 'sample');
  const dims = sample?.dims;
  const staticChannels = typeof dims?.[1] === 'number' && dims[1] > 0 ? dims[1] : undefined;
  const inChannels = staticChannels ?? numberField(unetConfig, 'in_channels') ?? 4;
  const h = dims?.[2];
  const w = dims?.[3];
  const staticSize =
    typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0
      ? { width: w * VAE_SCALE, height: h * VAE_SCALE }
      : undefined;
  const configured = sampleSize(unetConfig);
  const levels = blockCount(unetConfig);
  const nativeSize = staticSize?.height ?? (configured !== undefined ? configured * VAE_SCALE : DEFAULT_NATIVE_SIZE);

  const scalingFactor =
    numberField(json.get('vae_decoder/config.json'), 'scaling_factor') ??
    numberField(json.get('vae_encoder/config.json'), 'scaling_factor') ??
    DEFAULT_SCALING_FACTOR;
  const hasVaeEncoder = outlines.vae_encoder !== undefined;
  const hasTextEncoder2 = outlines.text_encoder_2 !== undefined;
  const family = familyOf(json, hasTextEncoder2);
  const provenance = await readProvenance(dir);
  const name = path.basename(dir);
  const { defaults, sizes } = defaultsOf(name, family, nativeSize, json, provenance);

  return {
    name,
    dir,
    components: {
      textEncoder: path.join(dir, componentModelPath('text_encoder')),
      textEncoder2: hasTextEncoder2 ? path.join(dir, componentModelPath('text_encoder_2')) : undefined,
      unet: path.join(dir, componentModelPath('unet')),
      vaeDecoder: path.join(dir, componentModelPath('vae_decoder')),
      vaeEncoder: hasVaeEncoder ? path.join(dir, componentModelPath('vae_encoder')) : undefined,
    },
    scalingFactor,
    nativeSize,
    staticSize,
    sizeMultiple: VAE_SCALE * 2 ** ((levels ?? SD_UNET_LEVELS) - 1),
    inChannels,
    inpainting: inChannels === 9,
    hasVaeEncoder,
    unetDtype: sample?.dtype ?? 'float32',
    schedulerConfig: (json.get(SCHEDULER_CONFIG) ?? {}) as Record<string, unknown>,
    tokenizerDir: path.join(dir, TOKENIZER_DIR),
    tokenizer2Dir: hasTextEncoder2 ? path.join(dir, TOKENIZER_2_DIR) : undefined,
    sizeBytes: await folderBytes(dir),
    family,
    variant: variantOf(inChannels),
    prediction: predictionOf(json),
    forceZerosForEmptyPrompt: forceZerosOf(json, family),
    defaults,
    sizes,
    provenance,
  };
}
