import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { float16ArrayToFloat32 as fromFloat16Array, float32ArrayToFloat16 as toFloat16Array } from '../numeric/float16.js';
import { makeTestModel, type TestModelInfo } from './index.js';
import { tinyVaeDecoder } from './tinyRandom/vae.js';

const SESSION_OPTIONS: InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const RED = 736;
const BLUE = 1746;

let root = '';
let full: TestModelInfo;
let half: TestModelInfo;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lb-tiny-'));
  full = await makeTestModel('tiny-random', join(root, 'fp32'));
  half = await makeTestModel('tiny-random', join(root, 'fp16'), {
    fp16: true,
    inpaint: true,
    timestepType: 'float16',
    inputIdsType: 'int64',
    vaeEncoderOutput: 'latent_parameters',
  });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const sessions = new Map<string, Promise<InferenceSession>>();

/** Sessions are cached: creating one (graph optimization) costs more than running these tiny models. */
function open(info: TestModelInfo, component: string): Promise<InferenceSession> {
  const path = join(info.dir, component, 'model.onnx');
  let session = sessions.get(path);
  if (session === undefined) {
    session = ort.InferenceSession.create(path, SESSION_OPTIONS);
    sessions.set(path, session);
  }
  return session;
}

function signature(meta: readonly InferenceSession.ValueMetadata[]): string[] {
  return meta.map((m) => (m.isTensor ? `${m.name}:${m.type}[${m.shape.join(',')}]` : `${m.name}:?`));
}

function floats(dims: readonly number[], seed: number, half = false): Tensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: count }, (_, i) => Math.sin((i + 1) * 12.9898 + seed * 78.233));
  return half ? new ort.Tensor('float16', toFloat16Array(data), dims) : new ort.Tensor('float32', data, dims);
}

function values(t: Tensor | undefined, dims: readonly number[]): Float32Array {
  assert.ok(t !== undefined, 'missing output');
  assert.deepEqual(t.dims, dims);
  return t.type === 'float16' ? fromFloat16Array(t.data as Uint16Array) : (t.data as Float32Array);
}

/** Finite, not constant, and of a sane magnitude. */
function assertLively(data: Float32Array, label: string): void {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    assert.ok(Number.isFinite(v), `${label}: non-finite value`);
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(max - min > 1e-3, `${label}: constant output`);
  assert.ok(Math.max(-min, max) < 100, `${label}: activations blew up (${min}..${max})`);
}

function differ(a: Float32Array, b: Float32Array): boolean {
  return a.some((v, i) => Math.abs(v - (b[i] ?? 0)) > 1e-4);
}

function tokenRows(rows: readonly (readonly number[])[], length: number): number[] {
  return rows.flatMap((r) => [49406, ...r, ...new Array<number>(length - 1 - r.length).fill(49407)]);
}

describe('tiny-random signatures', () => {
  test('float32 and float16 builds declare the real export signatures', async () => {
    const te = await open(full, 'text_encoder');
    assert.deepEqual(signature(te.inputMetadata), ['input_ids:int32[batch,sequence]']);
    assert.deepEqual(signature(te.outputMetadata), ['last_hidden_state:float32[batch,sequence,32]', 'pooler_output:float32[batch,32]']);
    const unet = await open(full, 'unet');
    assert.deepEqual(signature(unet.inputMetadata), [
      'sample:float32[batch,channels,height,width]',
      'timestep:int64[batch]',
      'encoder_hidden_states:float32[batch,sequence,32]',
    ]);
    assert.deepEqual(signature(unet.outputMetadata), ['out_sample:float32[batch,4,height,width]']);
    const halfUnet = await open(half, 'unet');
    assert.deepEqual(signature(halfUnet.inputMetadata), [
      'sample:float16[batch,channels,height,width]',
      'timestep:float16[1]',
      'encoder_hidden_states:float16[batch,sequence,32]',
    ]);
    assert.deepEqual(signature((await open(half, 'text_encoder')).inputMetadata), ['input_ids:int64[batch,sequence]']);
    assert.deepEqual(signature((await open(half, 'vae_decoder')).outputMetadata), ['sample:float16[batch,3,image_height,image_width]']);
    assert.deepEqual(signature((await open(half, 'vae_encoder')).outputMetadata), [
      'latent_parameters:float16[batch,8,latent_height,latent_width]',
    ]);
    assert.ok(full.files.some((f) => f.path === 'unet/weights.pb' && f.bytes > 1_000_000));
    assert.ok(full.files.some((f) => f.path === 'text_encoder/model.onnx_data' && f.bytes > 6_000_000));
  });

  test('weights are a pure function of the seed', () => {
    const build = (seed: number) => tinyVaeDecoder('float32', seed).serialize().model;
    const a = build(7);
    assert.deepEqual(build(7), a);
    assert.notDeepEqual(build(8), a);
  });
});

describe('tiny-random runs', () => {
  test('text encoder is causal and pools at the EOS token', async () => {
    const te = await open(full, 'text_encoder');
    const ids = tokenRows([[RED, 320], [BLUE, 320, 1125]], 77);
    const out = await te.run({ input_ids: new ort.Tensor('int32', Int32Array.from(ids), [2, 77]) });
    const hidden = values(out['last_hidden_state'], [2, 77, 32]);
    const pooled = values(out['pooler_output'], [2, 32]);
    assertLively(hidden, 'last_hidden_state');
    assert.deepEqual(pooled.subarray(0, 32), hidden.subarray(3 * 32, 4 * 32));
    assert.deepEqual(pooled.subarray(32, 64), hidden.subarray((77 + 4) * 32, (77 + 5) * 32));
    // Positions before the first differing token (index 1) see identical inputs under a causal mask.
    assert.deepEqual(hidden.subarray(0, 32), hidden.subarray(77 * 32, 78 * 32));
    assert.ok(differ(hidden.subarray(32, 64), hidden.subarray(78 * 32, 79 * 32)));
  });

  test('UNet runs batch 2 at 64×64 and 64×96 latents', async (t) => {
    const unet = await open(full, 'unet');
    for (const [h, w] of [
      [64, 64],
      [64, 96],
    ] as const) {
      const started = performance.now();
      const out = await unet.run({
        sample: floats([2, 4, h, w], 1),
        timestep: new ort.Tensor('int64', BigInt64Array.from([981n, 981n]), [2]),
        encoder_hidden_states: floats([2, 77, 32], 2),
      });
      t.diagnostic(`UNet batch 2 at ${h}×${w}: ${(performance.now() - started).toFixed(0)} ms (first run includes warm-up)`);
      const data = values(out['out_sample'], [2, 4, h, w]);
      assertLively(data, `out_sample ${h}×${w}`);
      const plane = 4 * h * w;
      assert.ok(differ(data.subarray(0, plane), data.subarray(plane)), 'batch entries with different inputs must differ');
    }
  });

  test('VAE decoder upsamples ×8 and the encoder downsamples ×8', async () => {
    const decoded = await (await open(full, 'vae_decoder')).run({ latent_sample: floats([2, 4, 12, 16], 3) });
    assertLively(values(decoded['sample'], [2, 3, 96, 128]), 'decoded');
    const encoded = await (await open(full, 'vae_encoder')).run({ sample: floats([2, 3, 64, 48], 4) });
    assertLively(values(encoded['latent_sample'], [2, 4, 8, 6]), 'latent_sample');
  });

  test('fp16 inpainting build runs end to end in float16', async () => {
    const te = await (await open(half, 'text_encoder')).run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokenRows([[RED], [BLUE]], 77), BigInt), [2, 77]),
    });
    assert.equal(te['last_hidden_state']?.type, 'float16');
    assertLively(values(te['last_hidden_state'], [2, 77, 32]), 'fp16 last_hidden_state');
    const out = await (await open(half, 'unet')).run({
      sample: floats([2, 9, 32, 24], 5, true),
      timestep: new ort.Tensor('float16', toFloat16Array([500]), [1]),
      encoder_hidden_states: te['last_hidden_state'] as Tensor,
    });
    assert.equal(out['out_sample']?.type, 'float16');
    assertLively(values(out['out_sample'], [2, 4, 32, 24]), 'fp16 out_sample');
    const decoded = await (await open(half, 'vae_decoder')).run({ latent_sample: floats([1, 4, 8, 8], 6, true) });
    assertLively(values(decoded['sample'], [1, 3, 64, 64]), 'fp16 decoded');
    const params = await (await open(half, 'vae_encoder')).run({ sample: floats([1, 3, 32, 32], 7, true) });
    assertLively(values(params['latent_parameters'], [1, 8, 4, 4]), 'fp16 latent_parameters');
  });
});
