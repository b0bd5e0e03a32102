import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { float16ArrayToFloat32 as fromFloat16Array, float32ArrayToFloat16 as toFloat16Array } from '../numeric/float16.js';
import {
  makeTestModel,
  oracleColour,
  oracleColourOfPrompt,
  oracleExpectedPixel,
  oracleUnetReference,
  oracleVaeDecode,
  oracleVaeEncode,
  sdAlphasCumprod,
  type TestModelInfo,
} from './index.js';
import { clipVocab } from './layout.js';

const BOS = 49406;
const EOS = 49407;
const SESSION_OPTIONS: InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

let root = '';
let plain: TestModelInfo;
let variant: TestModelInfo;
let half: TestModelInfo;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lb-oracle-'));
  plain = await makeTestModel('oracle', join(root, 'plain'));
  variant = await makeTestModel('oracle', join(root, 'variant'), {
    inpaint: true,
    prediction: 'v_prediction',
    timestepType: 'float32',
    inputIdsType: 'int64',
    vaeEncoderOutput: 'latent_parameters',
    scalingFactor: 0.5,
  });
  half = await makeTestModel('oracle', join(root, 'half'), { fp16: true, timestepType: 'float16' });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

function open(info: TestModelInfo, component: string): Promise<InferenceSession> {
  return ort.InferenceSession.create(join(info.dir, component, 'model.onnx'), SESSION_OPTIONS);
}

function signature(meta: readonly InferenceSession.ValueMetadata[]): string[] {
  return meta.map((m) => (m.isTensor ? `${m.name}:${m.type}[${m.shape.join(',')}]` : `${m.name}:?`));
}

function f32(data: ArrayLike<number>, dims: readonly number[]): Tensor {
  return new ort.Tensor('float32', Float32Array.from(data), dims);
}

function values(t: Tensor | undefined): Float32Array {
  assert.ok(t !== undefined, 'missing output');
  if (t.type === 'float16') return fromFloat16Array(t.data as Uint16Array);
  assert.equal(t.type, 'float32');
  return t.data as Float32Array;
}

function noise(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin((i + 1) * 12.9898 + seed * 78.233) * 1.5);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] ?? Number.NaN;
    const e = expected[i] ?? Number.NaN;
    if (!(Math.abs(a - e) <= relative * Math.max(1, Math.abs(e)))) assert.fail(`element ${i}: ${a} vs ${e}`);
  }
}

function idsOf(words: readonly string[], length: number): number[] {
  const vocab = clipVocab();
  const ids = [BOS, ...words.map((w) => vocab.get(`${w}</w>`) ?? -1), EOS];
  assert.ok(!ids.includes(-1));
  while (ids.length < length) ids.push(EOS);
  return ids;
}

describe('oracle folder layout', () => {
  test('model_index, scheduler, tokenizer and configs are SD 1.5 shaped', async () => {
    const json = async (p: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(join(plain.dir, p), 'utf8')) as Record<string, unknown>;
    const index = await json('model_index.json');
    assert.equal(index['_class_name'], 'OnnxStableDiffusionPipeline');
    assert.deepEqual(index['unet'], ['diffusers', 'OnnxRuntimeModel']);
    assert.deepEqual(index['tokenizer'], ['transformers', 'CLIPTokenizer']);
    assert.deepEqual(index['safety_checker'], [null, null]);
    const scheduler = await json('scheduler/scheduler_config.json');
    assert.equal(scheduler['beta_schedule'], 'scaled_linear');
    assert.equal(scheduler['prediction_type'], 'epsilon');
    assert.equal(scheduler['steps_offset'], 1);
    const vScheduler = JSON.parse(await readFile(join(variant.dir, 'scheduler/scheduler_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(vScheduler['prediction_type'], 'v_prediction');
    assert.equal((await json('vae_decoder/config.json'))['scaling_factor'], 0.3);
    assert.equal((await json('vae_encoder/config.json'))['scaling_factor'], 0.3);
    assert.equal((await json('unet/config.json'))['in_channels'], 4);
    assert.equal(JSON.parse(await readFile(join(variant.dir, 'unet/config.json'), 'utf8')).in_channels, 9);
    const tokenizer = await json('tokenizer/tokenizer_config.json');
    assert.equal(tokenizer['model_max_length'], 77);
    assert.equal(tokenizer['pad_token'], '<|endoftext|>');
    assert.equal((await json('tokenizer/special_tokens_map.json'))['pad_token'], '<|endoftext|>');
    assert.equal(Object.keys(await json('tokenizer/vocab.json')).length, 49408);
    assert.ok((await stat(join(plain.dir, 'tokenizer/merges.txt'))).size > 100_000);
  });

  test('large initializers live in the external data files', async () => {
    const size = async (p: string) => (await stat(join(plain.dir, p))).size;
    assert.equal(await size('text_encoder/model.onnx_data'), 49408 * 4 * 4);
    assert.ok((await size('text_encoder/model.onnx')) < 4096);
    assert.equal(await size('unet/weights.pb'), 1000 * 4);
    const listed = new Set(plain.files.map((f) => f.path));
    for (const p of ['text_encoder/model.onnx_data', 'unet/weights.pb', 'vae_decoder/model.onnx', 'vae_encoder/model.onnx']) {
      assert.ok(listed.has(p), p);
    }
  });
});

describe('oracle signatures', () => {
  test('inputs and outputs are named and typed like real exports', async () => {
    const te = await open(plain, 'text_encoder');
    assert.deepEqual(signature(te.inputMetadata), ['input_ids:int32[batch,sequence]']);
    assert.deepEqual(signature(te.outputMetadata), ['last_hidden_state:float32[batch,sequence,4]', 'pooler_output:float32[batch,4]']);
    const unet = await open(plain, 'unet');
    assert.deepEqual(signature(unet.inputMetadata), [
      'sample:float32[batch,channels,height,width]',
      'timestep:int64[batch]',
      'encoder_hidden_states:float32[batch,sequence,4]',
    ]);
    assert.deepEqual(signature(unet.outputMetadata), ['out_sample:float32[batch,4,height,width]']);
    assert.deepEqual(signature((await open(plain, 'vae_decoder')).inputMetadata), ['latent_sample:float32[batch,4,height,width]']);
    const encoder = await open(plain, 'vae_encoder');
    assert.deepEqual(signature(encoder.inputMetadata), ['sample:float32[batch,3,height,width]']);
    assert.deepEqual(signature(encoder.outputMetadata), ['latent_sample:float32[batch,4,latent_height,latent_width]']);
    assert.deepEqual(signature((await open(variant, 'text_encoder')).inputMetadata), ['input_ids:int64[batch,sequence]']);
    assert.deepEqual(signature((await open(variant, 'unet')).inputMetadata)[1], 'timestep:float32[1]');
    assert.deepEqual(signature((await open(variant, 'vae_encoder')).outputMetadata), [
      'latent_parameters:float32[batch,8,latent_height,latent_width]',
    ]);
    const halfUnet = await open(half, 'unet');
    assert.deepEqual(signature(halfUnet.inputMetadata), [
      'sample:float16[batch,channels,height,width]',
      'timestep:float16[1]',
      'encoder_hidden_states:float16[batch,sequence,4]',
    ]);
  });
});

describe('oracle numerics', () => {
  test('text encoder maps colour tokens to their colour and pools by the mean', async () => {
    const te = await open(plain, 'text_encoder');
    const rows = [idsOf(['red'], 6), idsOf(['a', 'blue', 'and', 'green', 'apple'], 6).slice(0, 6)];
    const out = await te.run({ input_ids: new ort.Tensor('int32', Int32Array.from(rows.flat()), [2, 6]) });
    const hidden = values(out['last_hidden_state']);
    assert.deepEqual([...hidden.subarray(4, 8)], [0.5, -0.5, -0.5, 1]);
    assert.deepEqual([...hidden.subarray(0, 4)], [0, 0, 0, 0]);
    assert.deepEqual([...hidden.subarray(8, 24)], new Array<number>(16).fill(0));
    assertClose(values(out['pooler_output']).subarray(0, 4), [0.5 / 6, -0.5 / 6, -0.5 / 6, 1 / 6], 1e-6);
    assert.deepEqual(oracleColour(rows[1] ?? []), [-0.5, 0, 0]);
    assert.deepEqual(oracleColourOfPrompt('A blue and green apple.'), [-0.5, 0, 0]);

    const te64 = await open(variant, 'text_encoder');
    const out64 = await te64.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [2, 6]) });
    assert.deepEqual(values(out64['last_hidden_state']), hidden);
  });

  test('UNet output equals the closed form for int64 [batch] timesteps', async () => {
    const unet = await open(plain, 'unet');
    const context = Float32Array.from([...noise(2 * 5 * 4, 1)].map((v, i) => (i % 4 === 3 ? Math.abs(v) : v)));
    const sample = noise(2 * 4 * 8 * 6, 2);
    // A single timestep for the whole batch is what diffusers' ONNX pipeline passes.
    for (const timesteps of [[999, 0], [1, 500], [250]]) {
      const out = await unet.run({
        sample: f32(sample, [2, 4, 8, 6]),
        timestep: new ort.Tensor('int64', BigInt64Array.from(timesteps, BigInt), [timesteps.length]),
        encoder_hidden_states: f32(context, [2, 5, 4]),
      });
      const expected = oracleUnetReference({ sample, sampleDims: [2, 4, 8, 6], timesteps, context, sequenceLength: 5, scalingFactor: 0.3 });
      assertClose(values(out['out_sample']), expected, 1e-5);
    }
  });

  test('inpainting v-prediction UNet with a fractional float32 timestep equals the closed form', async () => {
    const unet = await open(variant, 'unet');
    const context = Float32Array.from([...noise(2 * 3 * 4, 3)].map((v, i) => (i % 4 === 3 ? 1 : v)));
    const sample = noise(2 * 9 * 4 * 4, 4).map((v, i) => (Math.floor(i / 16) % 9 === 4 ? (v > 0 ? 1 : 0) : v));
    const out = await unet.run({
      sample: f32(sample, [2, 9, 4, 4]),
      timestep: f32([421.25], [1]),
      encoder_hidden_states: f32(context, [2, 3, 4]),
    });
    const expected = oracleUnetReference({
      sample,
      sampleDims: [2, 9, 4, 4],
      timesteps: [421.25],
      context,
      sequenceLength: 3,
      scalingFactor: 0.5,
      prediction: 'v_prediction',
    });
    assertClose(values(out['out_sample']), expected, 1e-5);
  });

  test('one DDIM x0 estimate from the UNet lands exactly on the prompt colour', async () => {
    const unet = await open(plain, 'unet');
    const te = await open(plain, 'text_encoder');
    const ids = [...idsOf(['a', 'red', 'apple'], 8), ...idsOf([], 8)];
    const context = values((await te.run({ input_ids: new ort.Tensor('int32', Int32Array.from(ids), [2, 8]) }))['last_hidden_state']);
    const xt = noise(2 * 4 * 2 * 2, 5);
    for (const t of [999, 37]) {
      const eps = values(
        (
          await unet.run({
            sample: f32(xt, [2, 4, 2, 2]),
            timestep: new ort.Tensor('int64', BigInt64Array.from([t, t], BigInt), [2]),
            encoder_hidden_states: f32(context, [2, 8, 4]),
          })
        )['out_sample'],
      );
      const a = sdAlphasCumprod()[t] ?? 0;
      const x0 = xt.map((x, i) => (x - Math.sqrt(1 - a) * (eps[i] ?? 0)) / Math.sqrt(a));
      const expected = [0.3 * 0.5, -0.3 * 0.5, -0.3 * 0.5, 0].flatMap((v) => [v, v, v, v]);
      assertClose(x0, [...expected, ...new Array<number>(16).fill(0)], 1e-4);
    }
  });

  test('decoder and guidance reproduce oracleExpectedPixel', async () => {
    const decoder = await open(plain, 'vae_decoder');
    const guidance = 1.5;
    const cond = oracleColourOfPrompt('an orange cat');
    const uncond = oracleColourOfPrompt('gray, blue');
    // Guided x0 in latent space, divided by the scaling factor as a pipeline does before decoding.
    const latent = [0, 1, 2, 3].flatMap((c) => {
      const x0 = (rgb: readonly number[]) => 0.3 * (c < 3 ? (rgb[c] ?? 0) : 0);
      return new Array<number>(4).fill((x0(uncond) + guidance * (x0(cond) - x0(uncond))) / 0.3);
    });
    const image = values((await decoder.run({ latent_sample: f32(latent, [1, 4, 2, 2]) }))['sample']);
    const pixel = [0, 1, 2].map((c) => Math.round(Math.min(1, Math.max(0, (image[c * 256] ?? 0) / 2 + 0.5)) * 255));
    assert.deepEqual(pixel, oracleExpectedPixel({ prompt: 'an orange cat', negativePrompt: 'gray, blue', guidance }));
    assert.deepEqual(oracleExpectedPixel({ prompt: 'red', guidance: 1 }), [191, 64, 64]);
  });

  test('VAE decoder and encoder match their closed forms', async () => {
    const latent = noise(2 * 4 * 2 * 3, 6);
    const decoded = values((await (await open(plain, 'vae_decoder')).run({ latent_sample: f32(latent, [2, 4, 2, 3]) }))['sample']);
    assertClose(decoded, oracleVaeDecode(latent, [2, 4, 2, 3]), 1e-6);

    const image = noise(2 * 3 * 16 * 24, 7);
    const encoded = await (await open(plain, 'vae_encoder')).run({ sample: f32(image, [2, 3, 16, 24]) });
    assert.deepEqual(encoded['latent_sample']?.dims, [2, 4, 2, 3]);
    assertClose(values(encoded['latent_sample']), oracleVaeEncode(image, [2, 3, 16, 24]), 1e-5);

    const params = values((await (await open(variant, 'vae_encoder')).run({ sample: f32(image, [2, 3, 16, 24]) }))['latent_parameters']);
    const mean = oracleVaeEncode(image, [2, 3, 16, 24]);
    assertClose(params.subarray(0, 24), mean.subarray(0, 24), 1e-5);
    assert.deepEqual([...params.subarray(24, 48)], new Array<number>(24).fill(-30));
  });

  test('fp16 variant runs with float16 I/O and stays near the closed form', async () => {
    const unet = await open(half, 'unet');
    const context = Float32Array.from([0.5, -0.5, -0.5, 1, 0, 0, 0, 0]);
    const sample = noise(4 * 4 * 4, 8).map((v) => Math.fround(v));
    const out = await unet.run({
      sample: new ort.Tensor('float16', toFloat16Array(sample), [1, 4, 4, 4]),
      timestep: new ort.Tensor('float16', toFloat16Array([500]), [1]),
      encoder_hidden_states: new ort.Tensor('float16', toFloat16Array(context), [1, 2, 4]),
    });
    assert.equal(out['out_sample']?.type, 'float16');
    const halfSample = fromFloat16Array(toFloat16Array(sample));
    const expected = oracleUnetReference({ sample: halfSample, sampleDims: [1, 4, 4, 4], timesteps: [500], context, sequenceLength: 2, scalingFactor: 0.3 });
    assertClose(values(out['out_sample']), expected, 2e-3);
    const te = await open(half, 'text_encoder');
    const hidden = await te.run({ input_ids: new ort.Tensor('int32', Int32Array.from(idsOf(['red'], 3)), [1, 3]) });
    assert.equal(hidden['last_hidden_state']?.type, 'float16');
    assert.deepEqual([...values(hidden['last_hidden_state']).subarray(4, 8)], [0.5, -0.5, -0.5, 1]);
  });
});
