/**
 * Everything SD 1.x does, on an imported SDXL checkpoint (SGM layout, two text encoders, pooled
 * embeddings, add_time_ids): batches reproduce per image, outpainting grows the canvas around the
 * untouched source, variations hold their ends, animation starts at the keyframe, and long or
 * weighted prompts reach both encoders. The loop itself is checked against diffusers in
 * families-vs-torch.test.ts; here each mode's own promise is asserted in pixels.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findTorchPython } from '../checkpoint/testing/torch-python.js';
import { importModel } from '../convert/import-model.js';
import { checkpointFixtureDir } from '../convert/testing/checkpoint-fixtures.js';
import type { RgbaImage } from '../image/index.js';
import { inspectModel } from '../models/inspect-model.js';
import { ModelStore } from '../models/model-store.js';
import { animate } from './animate.js';
import { generate } from './generate.js';
import { LoadedModel } from './loaded-model.js';

const work = await mkdtemp(join(tmpdir(), 'lb-sdxl-modes-'));
let model: LoadedModel | undefined;
const torch = await findTorchPython();
const skip = torch === undefined ? 'torch reference unavailable (writes the SDXL checkpoint)' : false;
if (skip !== false && process.env['LATENT_BRIDGE_REQUIRE_TORCH'] === '1') throw new Error(`${skip} (LATENT_BRIDGE_REQUIRE_TORCH=1)`);

before(async () => {
  if (skip !== false) return;
  const source = join(await checkpointFixtureDir('sdxl', 'fp32'), 'model.safetensors');
  const imported = await importModel({ source, store: new ModelStore(join(work, 'store')), name: 'xl' });
  model = await LoadedModel.load(await inspectModel(imported.dir), { threads: 1 });
});
after(async () => {
  await model?.release();
  await rm(work, { recursive: true, force: true });
});

function loaded(): LoadedModel {
  if (model === undefined) throw new Error('model not loaded');
  return model;
}

const BASE = { prompt: 'a lighthouse on a cliff', negative: 'blurry', steps: 2, guidance: 5, scheduler: 'euler', width: 64, height: 64 };

function maxDiff(a: RgbaImage, b: RgbaImage): number {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs((a.data[i] as number) - (b.data[i] as number)));
  return d;
}

function only(images: readonly { image: RgbaImage }[]): RgbaImage {
  assert.equal(images.length, 1);
  return (images[0] as { image: RgbaImage }).image;
}

describe('SDXL: every mode on an imported checkpoint', { skip }, () => {
  test('a batch of 3 gives each image its own seed, reproducible alone with batch 1', async () => {
    const batch = await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 40, batch: 3 });
    assert.deepEqual(batch.images.map((i) => i.seed), [40, 41, 42]);
    const alone = await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 41 });
    assert.ok(maxDiff(only(alone.images), (batch.images[1] as { image: RgbaImage }).image) <= 1, 'image 1 of the batch = seed 41 alone');
    assert.ok(maxDiff((batch.images[0] as { image: RgbaImage }).image, (batch.images[1] as { image: RgbaImage }).image) > 10, 'seeds differ');
  });

  test('outpaint grows the canvas and leaves the source pixels as they were', async () => {
    const source = only((await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 3 })).images);
    const out = only((await generate(loaded(), { mode: 'outpaint', ...BASE, seed: 4, image: source, expand: { left: 32, top: 0, right: 0, bottom: 32 }, feather: 0 })).images);
    assert.equal(out.width, 96);
    assert.equal(out.height, 96);
    let changed = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        for (let c = 0; c < 4; c++) if (out.data[(y * 96 + x + 32) * 4 + c] !== source.data[(y * 64 + x) * 4 + c]) changed++;
      }
    }
    assert.equal(changed, 0, 'source pixels changed');
    let filled = 0;
    for (let y = 64; y < 96; y++) for (let x = 0; x < 96; x++) if ((out.data[(y * 96 + x) * 4 + 3] as number) === 255) filled++;
    assert.equal(filled, 32 * 96, 'the new strip is opaque');
  });

  test('variation: strength 0 is the seed, 1 the variation seed, 0.5 neither', async () => {
    const a = only((await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 5 })).images);
    const b = only((await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 9 })).images);
    const v0 = only((await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 5, variation: { seed: 9, strength: 0 } })).images);
    const v1 = only((await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 5, variation: { seed: 9, strength: 1 } })).images);
    const half = only((await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 5, variation: { seed: 9, strength: 0.5 } })).images);
    assert.equal(maxDiff(v0, a), 0);
    assert.ok(maxDiff(v1, b) <= 1);
    assert.ok(maxDiff(half, a) > 10 && maxDiff(half, b) > 10);
  });

  test('animation: frame 0 is the keyframe txt2img, the last frame differs', async () => {
    const key = only((await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 6 })).images);
    const anim = await animate(loaded(), { ...BASE, seed: 6, frames: 3, toPrompt: 'a castle on a cliff', toSeed: 8 });
    assert.equal(anim.frames.length, 3);
    assert.deepEqual(anim.frames.map((f) => f.t), [0, 0.5, 1]);
    assert.ok(maxDiff((anim.frames[0] as { image: RgbaImage }).image, key) <= 1);
    assert.ok(maxDiff((anim.frames[2] as { image: RgbaImage }).image, key) > 10);
  });

  test('a prompt past 75 tokens and a weighted word change the image through both encoders', async () => {
    const words = Array.from({ length: 90 }, (_, i) => `word${i}`).join(' ');
    const short = only((await generate(loaded(), { mode: 'txt2img', ...BASE, seed: 7 })).images);
    const long = only((await generate(loaded(), { mode: 'txt2img', ...BASE, prompt: `${BASE.prompt}, ${words}`, seed: 7 })).images);
    const weighted = only((await generate(loaded(), { mode: 'txt2img', ...BASE, prompt: '(a lighthouse:1.6) on a cliff', seed: 7 })).images);
    assert.ok(maxDiff(long, short) > 5, 'tokens past the first chunk reach the UNet');
    assert.ok(maxDiff(weighted, short) > 2, 'the weight reaches the UNet');
    const same = only((await generate(loaded(), { mode: 'txt2img', ...BASE, prompt: '(a lighthouse:1.0) on a cliff', seed: 7 })).images);
    assert.equal(maxDiff(same, short), 0, 'weight 1.0 is the plain prompt');
  });
});
