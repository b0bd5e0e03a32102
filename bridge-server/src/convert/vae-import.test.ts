/**
 * VAE encoders and decoders imported from checkpoints (LDM `first_stage_model.` single files and
 * diffusers `vae/` folders) run in onnxruntime and match torch's LDM AutoencoderKL.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { buildVaeDecoder, buildVaeEncoder } from '../graphs/vae.js';
import { OnnxModel } from '../runtime/index.js';
import { float32ArrayToFloat16 } from '../numeric/float16.js';
import { diffusersVaeWeights, findComponentWeights } from './layouts/diffusers.js';
import { ldmVaeWeights } from './layouts/ldm-vae.js';
import type { ComponentWeights } from './layouts/mapping.js';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import { assertClose } from './testing/compare.js';
import { openCheckpoint } from '../checkpoint/index.js';
import { textVaeFixture, torchUnavailable, type FixtureCase, type FixtureDtype } from './testing/text-vae-fixtures.js';
import { deriveVaeConfig } from './vae-config.js';

const skip = torchUnavailable();
const work = await mkdtemp(join(tmpdir(), 'lb-vae-import-'));
after(() => rm(work, { recursive: true, force: true }));

type Format = 'safetensors' | 'ckpt' | 'diffusers';

async function vaeWeights(dir: string, format: Format, dtype: FixtureDtype): Promise<{ source: TensorSource; mapped: ComponentWeights }> {
  if (format === 'diffusers') {
    const [file] = await findComponentWeights(join(dir, 'diffusers'), 'vae', dtype === 'fp16' ? 'fp16' : undefined);
    const source = await openCheckpoint(file ?? '');
    return { source, mapped: diffusersVaeWeights(source) };
  }
  const source = await openCheckpoint(join(dir, format === 'ckpt' ? 'model.ckpt' : 'model.safetensors'));
  return { source, mapped: ldmVaeWeights(source, 'first_stage_model.') };
}

/** Moments [B, 2C, H, W] → the mean, and the logvar clamped to [-30, 20] as diffusers' distribution does. */
function splitMoments(moments: Float32Array, dims: readonly number[]): { mean: Float32Array; logvar: Float32Array } {
  const [b = 1, c2 = 0, h = 0, w = 0] = dims;
  const plane = (c2 / 2) * h * w;
  const mean = new Float32Array(b * plane);
  const logvar = new Float32Array(b * plane);
  for (let i = 0; i < b; i++) {
    mean.set(moments.subarray(i * 2 * plane, i * 2 * plane + plane), i * plane);
    logvar.set(moments.subarray(i * 2 * plane + plane, (i + 1) * 2 * plane).map((v) => Math.min(20, Math.max(-30, v))), i * plane);
  }
  return { mean, logvar };
}

async function checkVae(t: TestContext, c: FixtureCase, dtype: FixtureDtype, format: Format): Promise<void> {
  const fixture = await textVaeFixture(c, dtype);
  const ref = fixture.reference;
  const { source, mapped } = await vaeWeights(fixture.dir, format, dtype);
  const config = deriveVaeConfig(mapped.weights, { family: c });
  const floatType = dtype === 'fp16' ? 'float16' : 'float32';
  const tolerance = dtype === 'fp16' ? 1e-2 : 1e-4;
  const feed = async (key: string) => {
    const values = await ref.readFloat32(key);
    return { data: floatType === 'float16' ? float32ArrayToFloat16(values) : values, dims: [...(ref.entry(key)?.shape ?? [])] };
  };

  const dir = join(work, `${c}-${dtype}-${format}`);
  await buildVaeEncoder(config, mapped.weights, { floatType }).write(join(dir, 'vae_encoder'), 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
  await buildVaeDecoder(config, mapped.weights, { floatType }).write(join(dir, 'vae_decoder'), 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
  await source.close();
  assert.deepEqual(mapped.weights.unused(), [], 'encoder and decoder take every weight');

  const encoder = await OnnxModel.open(join(dir, 'vae_encoder/model.onnx'));
  try {
    const f = 2 ** (config.block_out_channels.length - 1);
    assert.deepEqual(encoder.inputs.map((i) => `${i.name}:${i.dtype}[${i.dims.join(',')}]`), [`sample:${floatType}[batch_size,3,sample_height,sample_width]`]);
    assert.deepEqual(encoder.outputs.map((o) => `${o.name}:${o.dtype}[${o.dims.join(',')}]`), [
      `latent_parameters:${floatType}[batch_size,8,sample_height / ${f},sample_width / ${f}]`,
    ]);
    const out = await encoder.run({ sample: await feed('vae_encoder.in.sample') });
    const moments = out['latent_parameters'];
    assert.ok(moments !== undefined);
    const { mean, logvar } = splitMoments(moments.data as Float32Array, moments.dims);
    const e1 = assertClose(mean, await ref.readFloat32('vae_encoder.out.mean'), tolerance, `${c} ${dtype} ${format} mean`);
    const e2 = assertClose(logvar, await ref.readFloat32('vae_encoder.out.logvar'), tolerance, `${c} ${dtype} ${format} logvar`);
    t.diagnostic(`encoder: mean ${e1.toExponential(2)}, logvar ${e2.toExponential(2)} of max|ref|`);
  } finally {
    await encoder.release();
  }

  const decoder = await OnnxModel.open(join(dir, 'vae_decoder/model.onnx'));
  try {
    const out = await decoder.run({ latent_sample: await feed('vae_decoder.in.latent_sample') });
    const image = out['sample'];
    assert.ok(image !== undefined);
    assert.deepEqual(image.dims, ref.entry('vae_decoder.out.sample')?.shape);
    const e = assertClose(image.data as Float32Array, await ref.readFloat32('vae_decoder.out.sample'), tolerance, `${c} ${dtype} ${format} decoded sample`);
    t.diagnostic(`decoder: ${e.toExponential(2)} of max|ref|`);
  } finally {
    await decoder.release();
  }
}

describe('VAEs against torch', { skip }, () => {
  for (const c of ['sd1', 'sd2', 'sdxl'] as const) {
    for (const dtype of ['fp32', 'fp16'] as const) {
      for (const format of ['safetensors', 'ckpt', 'diffusers'] as const) {
        test(`${c} VAE from ${format}, ${dtype}`, (t) => checkVae(t, c, dtype, format));
      }
    }
  }
});
