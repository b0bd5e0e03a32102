/**
 * Installs a TAESD decoder from its .safetensors (or .pth) like any model: the checkpoint read by
 * the production readers (nothing executed), the weights mapped by convert/layouts/taesd.ts, the
 * graph built by graphs/taesd.ts and written with a config.json through a staging folder, so a
 * failed install leaves nothing half-written where previews look.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { openCheckpoint } from '../checkpoint/index.js';
import { buildTaesdDecoder, TAESD_DECODER } from '../graphs/taesd.js';
import type { TaesdVariant } from '../pipeline/preview-decoder.js';
import { TAESD_CONV_IN, taesdDecoderWeights, type TaesdLayout } from './layouts/taesd.js';
import { StagingFolder } from './staging.js';

/** taesdxl / taesd from a file name (madebyollin's and diffusers' repos name them so), else undefined. */
export function taesdVariantFromName(file: string): TaesdVariant | undefined {
  const name = path.basename(file).toLowerCase();
  if (name.includes('taesdxl')) return 'taesdxl';
  if (/taesd(?![0-9a-z])|taesd_/.test(name)) return 'taesd';
  return undefined;
}

export interface TaesdInstallResult {
  dir: string;
  variant: TaesdVariant;
  layout: TaesdLayout;
}

/** Writes `<destination>/model.onnx` and `config.json` (replacing an existing install when `replace`). */
export async function installTaesd(file: string, destination: string, variant: TaesdVariant, replace = true): Promise<TaesdInstallResult> {
  const source = await openCheckpoint(file);
  try {
    const { layout, weights } = taesdDecoderWeights(source);
    const latentChannels = weights.shape(TAESD_CONV_IN)?.[1];
    if (latentChannels !== TAESD_DECODER.latentChannels) {
      throw new BridgeError(
        'model_invalid',
        `${file}: a TAESD decoder for ${latentChannels ?? '?'} latent channels; SD 1.x/2.x and SDXL need 4 (taesd or taesdxl)`,
        TAESD_CONV_IN,
      );
    }
    const graph = buildTaesdDecoder(TAESD_DECODER, weights);
    const staging = await StagingFolder.create(path.dirname(destination), path.basename(destination));
    try {
      await graph.write(staging.dir);
      const config = { _class_name: 'AutoencoderTiny', variant, layout, latent_channels: latentChannels, source: path.basename(file) };
      await writeFile(path.join(staging.dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      await staging.commit(destination, replace);
    } catch (err) {
      await staging.discard();
      throw err;
    }
    return { dir: destination, variant, layout };
  } finally {
    await source.close();
  }
}
