/**
 * `latent-bridge models add-taesd FILE [--model NAME] [--variant taesd|taesdxl]`: where a TAESD
 * decoder goes and which latent space it is for. The variant comes from --variant, else the file
 * name (taesd_decoder / taesdxl_decoder, as madebyollin names them), else the model's family; a
 * variant that contradicts the model's family is refused (its previews would be wrong colours).
 */
import path from 'node:path';
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { installTaesd, taesdVariantFromName, type TaesdInstallResult } from '../convert/taesd-install.js';
import { inspectModel, type ModelStore } from '../models/index.js';
import { PREVIEWS_FOLDER, TAESD_FOLDER, taesdVariantFor, type TaesdVariant } from '../pipeline/preview-decoder.js';

function parseVariant(value: string | undefined): TaesdVariant | undefined {
  if (value === undefined) return undefined;
  if (value !== 'taesd' && value !== 'taesdxl') throw invalidField('variant', `expected taesd or taesdxl, got "${value}"`);
  return value;
}

export async function addTaesd(store: ModelStore, file: string, modelName: string | undefined, variantFlag: string | undefined): Promise<TaesdInstallResult> {
  const given = parseVariant(variantFlag) ?? taesdVariantFromName(file);
  if (modelName === undefined) {
    if (given === undefined) throw invalidField('variant', `cannot tell from "${path.basename(file)}" whether it is taesd or taesdxl; pass --variant or --model`);
    return installTaesd(file, path.join(store.root, PREVIEWS_FOLDER, given), given);
  }
  const dir = await store.locate(modelName, { allowPaths: true });
  const info = await inspectModel(dir);
  const needed = taesdVariantFor(info.family);
  if (given !== undefined && given !== needed) {
    throw new BridgeError('invalid_field', `${path.basename(file)} is ${given}, but ${info.name} (${info.family}) needs ${needed}`, 'variant');
  }
  return installTaesd(file, path.join(dir, TAESD_FOLDER), needed);
}
