import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { openCheckpoint } from '../checkpoint/open-checkpoint.js';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import { relativeError } from '../convert/testing/compare.js';
import { diffusersUnetWeights } from '../convert/layouts/diffusers-unet.js';
import { ldmUnetWeights } from '../convert/layouts/ldm-unet.js';
import { readOriginalConfig } from '../convert/ldm-yaml.js';
import { deriveUnetConfig, type UnetConfigOptions } from '../convert/unet-config.js';
import type { ModelFamily } from '../models/families.js';
import type { FloatType } from '../onnx/graph-builder.js';
import type { WeightSet } from '../onnx/weight-set.js';
import { OnnxModel, type FeedValue } from '../runtime/index.js';
import { torchUnetCase, type CaseDType, type TorchUnetCase, type UnetCase } from './testing/torch-unet.js';
import { buildUnet } from './unet.js';

const FAMILY: Record<UnetCase, ModelFamily> = {
  sd1: 'sd1',
  'sd1-inpaint': 'sd1',
  'sd1-pix2pix': 'sd1',
  'sd1-lcm': 'sd1',
  sd2: 'sd2',
  'sd2-v': 'sd2',
  sdxl: 'sdxl',
  'sdxl-inpaint': 'sdxl',
};

type Format = 'safetensors' | 'ckpt' | 'diffusers' | 'yaml' | 'ema';

async function tensor(c: TorchUnetCase, key: string): Promise<{ data: Float32Array; dims: number[] }> {
  const entry = c.reference.entry(key);
  if (entry === undefined) throw new Error(`reference has no ${key}`);
  return { data: await c.reference.readFloat32(key), dims: [...entry.shape] };
}

/** The weights and config the importer would make from the case's files in `format`. */
async function imported(c: TorchUnetCase, name: UnetCase, dtype: CaseDType, format: Format): Promise<{ source: TensorSource; weights: WeightSet; options: UnetConfigOptions }> {
  const options: UnetConfigOptions = { family: FAMILY[name], prediction: name === 'sd2-v' ? 'v_prediction' : 'epsilon' };
  if (format === 'diffusers') {
    const unet = join(c.dir, 'diffusers/unet');
    const source = await openCheckpoint(join(unet, dtype === 'fp16' ? 'diffusion_pytorch_model.fp16.safetensors' : 'diffusion_pytorch_model.safetensors'));
    const configJson: unknown = JSON.parse(await readFile(join(unet, 'config.json'), 'utf8'));
    return { source, weights: diffusersUnetWeights(source).weights, options: { ...options, configJson } };
  }
  const source = await openCheckpoint(join(c.dir, format === 'ckpt' ? 'model.ckpt' : 'model.safetensors'));
  const weights = ldmUnetWeights(source, format === 'ema' ? { ema: true } : {}).weights;
  if (format !== 'yaml') return { source, weights, options };
  return { source, weights, options: { ...options, original: await readOriginalConfig(join(c.dir, 'model.yaml')) } };
}

/** Inputs as optimum's UNetOnnxConfig orders, names and types them. */
const SIGNATURES: Partial<Record<UnetCase, string[]>> = {
  sd1: ['sample', 'timestep', 'encoder_hidden_states'],
  sdxl: ['sample', 'timestep', 'encoder_hidden_states', 'text_embeds', 'time_ids'],
  'sd1-lcm': ['sample', 'timestep', 'encoder_hidden_states', 'timestep_cond'],
};

function checkSignature(model: OnnxModel, name: UnetCase, floatType: FloatType, timestepType: FloatType): void {
  const names = SIGNATURES[name];
  if (names !== undefined) assert.deepEqual(model.inputs.map((i) => i.name), names);
  const dims = Object.fromEntries(model.inputs.map((i) => [i.name, i.dims]));
  assert.deepEqual(dims['sample'], ['batch_size', name.endsWith('inpaint') ? 9 : name.endsWith('pix2pix') ? 8 : 4, 'height', 'width']);
  assert.deepEqual(dims['timestep'], []);
  assert.deepEqual(dims['encoder_hidden_states']?.slice(0, 2), ['batch_size', 'sequence_length']);
  if (dims['time_ids'] !== undefined) assert.deepEqual(dims['time_ids'], ['batch_size', 6]);
  for (const input of model.inputs) assert.equal(input.dtype, input.name === 'timestep' ? timestepType : floatType, input.name);
  assert.deepEqual(model.outputs.map((o) => [o.name, o.dtype, o.dims]), [['out_sample', floatType, ['batch_size', 4, 'height', 'width']]]);
}

interface RunOptions {
  /** Feed the odd-sized sample (13×10). */
  odd?: boolean;
  timestepType?: FloatType;
}

async function runCase(t: TestContext, name: UnetCase, dtype: CaseDType, format: Format, o: RunOptions = {}): Promise<number | undefined> {
  const odd = o.odd === true;
  const c = await torchUnetCase(t, name, dtype);
  if (c === undefined) return undefined;
  const floatType: FloatType = dtype === 'fp16' ? 'float16' : 'float32';
  const { source, weights, options } = await imported(c, name, dtype, format);
  const dir = await mkdtemp(join(tmpdir(), 'lb-unet-'));
  try {
    const timestepType = o.timestepType ?? floatType;
    const graph = buildUnet(deriveUnetConfig(weights, options), weights, { floatType, timestepType });
    await graph.write(dir, 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
    const model = await OnnxModel.open(join(dir, 'model.onnx'));
    try {
      checkSignature(model, name, floatType, timestepType);
      const feeds: Record<string, FeedValue> = {};
      for (const input of model.inputs) feeds[input.name] = await tensor(c, `unet.in.${input.name}${odd && input.name === 'sample' ? '_odd' : ''}`);
      const got = (await model.run(feeds))['out_sample'];
      const want = await tensor(c, format === 'ema' ? 'unet.out.ema_out_sample' : odd ? 'unet.out.out_sample_odd' : 'unet.out.out_sample');
      assert.deepEqual(got?.dims, want.dims);
      assert.ok(got?.data instanceof Float32Array, 'out_sample comes back as float32');
      return relativeError(got.data, want.data);
    } finally {
      await model.release();
    }
  } finally {
    await source.close();
    await c.reference.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const FP32: [UnetCase, Format][] = [
  ['sd1', 'safetensors'],
  ['sd1', 'ckpt'],
  ['sd1', 'diffusers'],
  ['sd1', 'ema'],
  ['sd1-inpaint', 'safetensors'],
  ['sd1-pix2pix', 'yaml'],
  ['sd2', 'safetensors'],
  ['sd2-v', 'yaml'],
  ['sdxl', 'safetensors'],
  ['sdxl', 'ckpt'],
  ['sdxl', 'yaml'],
  ['sdxl-inpaint', 'diffusers'],
  ['sd1-lcm', 'diffusers'],
];

for (const [name, format] of FP32) {
  test(`UNet ${name} from ${format}, fp32 graph, matches the torch LDM UNetModel within 1e-4 of max|ref|`, async (t) => {
    const err = await runCase(t, name, 'fp32', format);
    if (err === undefined) return;
    t.diagnostic(`max error ${err.toExponential(2)} of max|ref|`);
    assert.ok(err < 1e-4, `relative error ${err}`);
  });
}

const FP16: [UnetCase, Format][] = [
  ['sd1', 'safetensors'],
  ['sd2-v', 'safetensors'],
  ['sdxl', 'diffusers'],
];

for (const [name, format] of FP16) {
  test(`UNet ${name} from fp16 ${format}, fp16 graph (weights, I/O and compute), matches torch within 1e-2 of max|ref|`, async (t) => {
    const err = await runCase(t, name, 'fp16', format);
    if (err === undefined) return;
    t.diagnostic(`max error ${err.toExponential(2)} of max|ref|`);
    assert.ok(err < 1e-2, `relative error ${err}`);
  });
}

for (const name of ['sd1', 'sdxl'] as const) {
  test(`UNet ${name}: a 13×10 latent (sides the UNet's stride does not divide) runs as diffusers runs it, upsampling to each skip's size`, async (t) => {
    const err = await runCase(t, name, 'fp32', 'safetensors', { odd: true });
    if (err === undefined) return;
    t.diagnostic(`max error ${err.toExponential(2)} of max|ref|`);
    assert.ok(err < 1e-4, `relative error ${err}`);
  });
}

test('UNet sd1 fp16 graph with a float32 timestep input (kept exact for fractional timesteps) matches torch within 1e-2', async (t) => {
  const err = await runCase(t, 'sd1', 'fp16', 'safetensors', { timestepType: 'float32' });
  if (err === undefined) return;
  t.diagnostic(`max error ${err.toExponential(2)} of max|ref|`);
  assert.ok(err < 1e-2, `relative error ${err}`);
});
