/**
 * Generation sizes a UNet can run: exported UNets fail inside a Concat when a side cannot be halved
 * evenly at every level, so edits plan their model size in the UNet's multiple and txt2img says
 * which sizes work instead of passing onnxruntime's message on.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { inspectModel } from '../models/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { img2img } from './img2img.js';
import { inpaint } from './inpaint.js';
import { LoadedModel } from './loaded-model.js';
import { outpaint } from './outpaint.js';
import { inside, noiseImage, rectMask, samePixel } from './testing/edit-fixtures.js';
import { txt2img } from './txt2img.js';

let dir: string;
let tiny: LoadedModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-sizes-'));
  await makeTestModel('tiny-random', join(dir, 'tiny'), { inpaint: true });
  tiny = await LoadedModel.load(await inspectModel(join(dir, 'tiny')));
});

after(async () => {
  await tiny.release();
  await rm(dir, { recursive: true, force: true });
});

test('the size multiple comes from the UNet config: 8 · 2^(levels − 1), 64 without a config', async () => {
  assert.equal(tiny.info.sizeMultiple, 32); // three levels
  await makeTestModel('oracle', join(dir, 'oracle'));
  assert.equal((await inspectModel(join(dir, 'oracle'))).sizeMultiple, 8); // one level
  await rm(join(dir, 'oracle', 'unet', 'config.json'));
  assert.equal((await inspectModel(join(dir, 'oracle'))).sizeMultiple, 64); // SD's four, as diffusers' export script ships it
});

test('inpainting plans model sizes the UNet can run, for selections of any size and position', async () => {
  const doc = noiseImage(420, 300, 7);
  for (const sel of [
    { x: 37, y: 41, width: 150, height: 97 },
    { x: 200, y: 5, width: 211, height: 61 },
    { x: 0, y: 150, width: 33, height: 150 },
  ]) {
    const mask = rectMask(doc.width, doc.height, sel);
    const r = await inpaint(tiny, { prompt: 'moss', steps: 2, seed: 1, scheduler: 'euler', image: doc, mask, grow: 0, feather: 0, padding: 16 });
    assert.equal(r.params.width % 32, 0, `width ${r.params.width}`);
    assert.equal(r.params.height % 32, 0, `height ${r.params.height}`);
    const out = r.images[0]!.image;
    let changed = 0;
    for (let y = 0; y < doc.height; y++) {
      for (let x = 0; x < doc.width; x++) {
        const same = samePixel(out, doc, x, y);
        if (!inside(sel, x, y)) assert.ok(same, `pixel ${x},${y} outside the selection changed`);
        else if (!same) changed++;
      }
    }
    assert.ok(changed > sel.width * sel.height * 0.9, `only ${changed} pixels inside changed`);
  }
});

test('outpainting in odd amounts runs at UNet-sized model sizes too', async () => {
  const image = noiseImage(150, 110, 3);
  const r = await outpaint(tiny, { prompt: 'sky', steps: 2, seed: 2, scheduler: 'euler', image, expand: { left: 0, top: 37, right: 51, bottom: 0 } });
  assert.equal(r.params.width % 32, 0);
  assert.equal(r.params.height % 32, 0);
  const out = r.images[0]!.image;
  assert.equal(out.width, 201);
  assert.equal(out.height, 147);
});

test('a generation size the caller gives is kept in multiples of 8; a planned one is in the UNet multiple', async () => {
  // An oracle UNet runs any multiple of 8; without unet/config.json the bridge assumes SD's 64.
  await makeTestModel('oracle', join(dir, 'bare'));
  await rm(join(dir, 'bare', 'unet', 'config.json'));
  const bare = await LoadedModel.load(await inspectModel(join(dir, 'bare')));
  try {
    assert.equal(bare.info.sizeMultiple, 64);
    const image = noiseImage(72, 72, 4);
    const asked = await img2img(bare, { prompt: 'red', steps: 2, seed: 1, scheduler: 'euler', image, strength: 0.5, width: 72, height: 72 });
    assert.deepEqual([asked.params.width, asked.params.height], [72, 72]);
    const mask = rectMask(300, 200, { x: 100, y: 60, width: 90, height: 50 });
    const planned = await inpaint(bare, { prompt: 'red', steps: 1, seed: 1, scheduler: 'euler', image: noiseImage(300, 200, 5), mask });
    assert.equal(planned.params.width % 64, 0);
    assert.equal(planned.params.height % 64, 0);
  } finally {
    await bare.release();
  }
});

test('txt2img at a size the UNet cannot halve evenly names the field and a size that works', async () => {
  await assert.rejects(
    txt2img(tiny, { prompt: 'a boat', steps: 1, width: 72, height: 64, seed: 1 }),
    (e: unknown) => e instanceof BridgeError && e.code === 'invalid_field' && e.field === 'width' && e.message.includes('try 64×64'),
  );
});
