/**
 * Tiling: the circular-padding rewrite of real ONNX graphs (the project's tiny-random SD models) is
 * checked by what circular padding means — a circular shift of the input shifts the output the same
 * way (the original, zero-padded graphs do not) — and end to end by the seam of a generated image:
 * with tiling the wrap-around edge differs no more than neighbouring pixels do.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { inspectModel, readOnnxOutline, type ModelInfo } from '../models/index.js';
import { TorchGenerator } from '../random/torch-generator.js';
import { OnnxModel } from '../runtime/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { decodeResult, startA1111Bridge, type A1111TestBridge } from './testing/a1111-client.js';
import { tiledModelInfo } from './tiling/tiled-model.js';
import type { RgbaImage } from '../image/index.js';

let dir: string;
let info: ModelInfo;
let tiled: ModelInfo;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-a1111-tiling-'));
  await makeTestModel('tiny-random', path.join(dir, 'tiny'));
  info = await inspectModel(path.join(dir, 'tiny'));
  tiled = await tiledModelInfo(info);
});

after(() => rm(dir, { recursive: true, force: true }));

/** torch.roll(x, shift, dims=-1) on [n, c, h, w]. */
function rollW(x: Float32Array, dims: readonly number[], shift: number): Float32Array {
  const w = dims[3] as number;
  const out = new Float32Array(x.length);
  for (let row = 0; row < x.length / w; row++) {
    for (let i = 0; i < w; i++) out[row * w + ((i + shift) % w)] = x[row * w + i] as number;
  }
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** max |f(roll(x)) − roll(f(x))| for a model with one image input and one image output. */
async function shiftError(file: string, input: string, dims: readonly number[], extra: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>, shift: number): Promise<number> {
  const model = await OnnxModel.open(file, { threads: 1 });
  try {
    const x = new TorchGenerator(4).randn(dims);
    const run = async (data: Float32Array) => Object.values(await model.run({ [input]: { data, dims: [...dims] }, ...extra }))[0];
    const a = await run(x);
    const b = await run(rollW(x, dims, shift));
    assert.ok(a && b);
    const scale = (a.dims[3] as number) / (dims[3] as number);
    return maxDiff(rollW(a.data as Float32Array, a.dims, shift * scale), b.data as Float32Array);
  } finally {
    await model.release();
  }
}

test('the rewrite wraps every symmetric Conv pad and leaves the rest of each graph as it was', async () => {
  for (const key of ['unet', 'vaeDecoder', 'vaeEncoder'] as const) {
    const src = info.components[key] as string;
    const dst = tiled.components[key] as string;
    assert.equal(path.dirname(dst), path.dirname(src), 'next to the original, so external weights resolve');
    const stamp = JSON.parse(await readFile(`${dst}.json`, 'utf8')) as { convs: number };
    assert.ok(stamp.convs > 0, key);
    const [a, b] = await Promise.all([readOnnxOutline(src), readOnnxOutline(dst)]);
    // Per wrapped conv: 2 axes × (2 Slices with 3 constants each, 1 Concat).
    assert.equal(b.nodeCount - a.nodeCount, stamp.convs * 18, key);
    assert.deepEqual([b.initializerCount, b.inputs, b.outputs, b.externalData], [a.initializerCount, a.inputs, a.outputs, a.externalData], key);
  }
  // The VAE encoder's stride-2 convs pad only bottom/right (A1111 leaves that constant pad alone).
  const enc = JSON.parse(await readFile(`${tiled.components.vaeEncoder as string}.json`, 'utf8')) as { convs: number };
  const dec = JSON.parse(await readFile(`${tiled.components.vaeDecoder}.json`, 'utf8')) as { convs: number };
  assert.ok(enc.convs < dec.convs + 3);
  // Made once: a second call reuses the copy.
  const before = (await stat(tiled.components.unet)).mtimeMs;
  await tiledModelInfo(info);
  assert.equal((await stat(tiled.components.unet)).mtimeMs, before);
});

test('circular padding makes the UNet and VAE decoder commute with circular shifts; the originals do not', async () => {
  const context = new TorchGenerator(5).randn([1, 77, 32]);
  const unetExtra = { encoder_hidden_states: { data: context, dims: [1, 77, 32] }, timestep: { data: BigInt64Array.of(500n), dims: [1] } };
  const dims = [1, 4, 8, 8];
  // The UNet halves the latent twice (size multiple 32 = 8 · 2²): shifts in steps of 4 are exact.
  const unetTiled = await shiftError(tiled.components.unet, 'sample', dims, unetExtra, 4);
  const unetPlain = await shiftError(info.components.unet, 'sample', dims, unetExtra, 4);
  assert.ok(unetTiled < 1e-4, `tiled UNet ${unetTiled}`);
  assert.ok(unetPlain > 1e-2, `plain UNet ${unetPlain}`);
  const vaeTiled = await shiftError(tiled.components.vaeDecoder, 'latent_sample', dims, {}, 3);
  const vaePlain = await shiftError(info.components.vaeDecoder, 'latent_sample', dims, {}, 3);
  assert.ok(vaeTiled < 1e-4, `tiled VAE decoder ${vaeTiled}`);
  assert.ok(vaePlain > 1e-2, `plain VAE decoder ${vaePlain}`);
});

/** Mean |pixel − its wrap-around neighbour| across the left/right and top/bottom edges, and inside. */
function seams(img: RgbaImage): { horizontal: number; vertical: number; inside: number } {
  const { width: w, height: h, data } = img;
  const px = (x: number, y: number, c: number) => data[(y * w + x) * 4 + c] as number;
  let hs = 0;
  let vs = 0;
  let inside = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      hs += Math.abs(px(0, y, c) - px(w - 1, y, c));
      for (let x = 0; x + 1 < w; x++) inside += Math.abs(px(x, y, c) - px(x + 1, y, c));
    }
    for (let x = 0; x < w; x++) vs += Math.abs(px(x, 0, c) - px(x, h - 1, c));
  }
  return { horizontal: hs / (3 * h), vertical: vs / (3 * w), inside: inside / (3 * h * (w - 1)) };
}

test('tiling: true over /sdapi: the generated image wraps around seamlessly', async () => {
  let t: A1111TestBridge | undefined;
  try {
    t = await startA1111Bridge({ models: [{ name: 'tiny', kind: 'tiny-random' }] });
    for (const seed of [1, 2]) {
      const gen = async (tiling: boolean) => {
        const res = await (t as A1111TestBridge).post('/sdapi/v1/txt2img', { prompt: 'a texture', steps: 10, width: 128, height: 128, seed, tiling, sampler_name: 'Euler' });
        assert.equal(res.status, 200);
        return seams((await decodeResult((res.json['images'] as string[])[0] ?? '')).image);
      };
      const on = await gen(true);
      const off = await gen(false);
      assert.ok(on.horizontal <= on.inside && on.vertical <= on.inside, `seed ${seed} tiled: ${JSON.stringify(on)}`);
      assert.ok(off.horizontal > 1.2 * off.inside, `seed ${seed} untiled: ${JSON.stringify(off)}`);
    }
  } finally {
    await t?.stop();
  }
});
