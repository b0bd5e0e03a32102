/**
 * A full-size SD 1.5 UNet step (512², batch 2 for CFG) and a TAESD preview decode in one process,
 * interleaved twice, for the preview share. The UNet is built by the importer's own graph code from
 * SD 1.5's 686 keys and shapes with zero weights (compute and memory do not depend on the values).
 *
 *   node unet-step-case.js TAESD.onnx WORKDIR
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ldmUnetWeights, LDM_UNET_PREFIX } from '../convert/layouts/ldm-unet.js';
import { ldmUnetKeys, SD15_UNET } from '../convert/testing/ldm-unet-keys.js';
import { ShapeSource } from '../convert/testing/shape-source.js';
import { deriveUnetConfig } from '../convert/unet-config.js';
import { buildUnet } from '../graphs/unet.js';
import { OnnxModel } from '../runtime/index.js';

async function main(): Promise<void> {
  const [taesdFile, work] = process.argv.slice(2);
  if (taesdFile === undefined || work === undefined) throw new Error('usage: unet-step-case TAESD.onnx WORKDIR');
  const dir = join(work, 'unet');
  if (!existsSync(join(dir, 'model.onnx'))) {
    const { weights } = ldmUnetWeights(new ShapeSource('sd15.safetensors', ldmUnetKeys(LDM_UNET_PREFIX, SD15_UNET)));
    await buildUnet(deriveUnetConfig(weights, { family: 'sd1' }), weights, { floatType: 'float32' }).write(dir, 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
  }
  const unet = await OnnxModel.open(join(dir, 'model.onnx'));
  const taesd = await OnnxModel.open(taesdFile);
  const feeds = {
    sample: { data: new Float32Array(2 * 4 * 64 * 64).map((_, i) => Math.sin(i)), dims: [2, 4, 64, 64] },
    timestep: { data: new Float32Array([500]), dims: [] },
    encoder_hidden_states: { data: new Float32Array(2 * 77 * 768).map((_, i) => Math.cos(i) * 0.1), dims: [2, 77, 768] },
  };
  const latent = new Float32Array(4 * 64 * 64).map((_, i) => Math.sin(i * 0.3));
  const unetMs: number[] = [];
  const taesdMs: number[] = [];
  for (let r = 0; r < 2; r++) {
    let t = performance.now();
    await unet.run(feeds);
    unetMs.push(performance.now() - t);
    t = performance.now();
    await taesd.run({ latent_sample: { data: latent, dims: [1, 4, 64, 64] } });
    taesdMs.push(performance.now() - t);
  }
  console.log(JSON.stringify({ unetMs: Math.min(...unetMs), taesdMs: Math.min(...taesdMs) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
