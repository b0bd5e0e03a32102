import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { oracleExpectedPixel } from '../testmodels/index.js';
import { generate } from './generate.js';
import { img2img } from './img2img.js';
import type { LoadedModel } from './loaded-model.js';
import { flatImage, modelSet, noiseImage, type ModelSet } from './testing/edit-fixtures.js';
import { txt2img } from './txt2img.js';

let models: ModelSet;
let sampleEncoder: LoadedModel;
let distEncoder: LoadedModel;
const BASE = { prompt: 'green', guidance: 1, steps: 6, seed: 11, width: 64, height: 64 } as const;

before(async () => {
  models = await modelSet('lb-img2img-');
  sampleEncoder = await models.load('sample');
  distEncoder = await models.load('dist', { vaeEncoderOutput: 'latent_parameters' });
});

after(async () => {
  await models.close();
});

function meanColour(data: Uint8Array): number[] {
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
  return sum.map((v) => v / (data.length / 4));
}

test('strength 0 (or too low for one step) returns the input unchanged', async () => {
  const source = noiseImage(70, 50, 4);
  for (const strength of [0, 0.1]) {
    const result = await img2img(sampleEncoder, { ...BASE, image: source, strength, batch: 2 });
    assert.equal(result.images.length, 2);
    for (const item of result.images) assert.deepEqual(item.image, source);
  }
});

test('strength 1 equals txt2img for the same seed, pixel for pixel', async () => {
  // DDIM leaves a trace of the initial noise in the oracle's output, so the seed is visible.
  const request = { ...BASE, scheduler: 'ddim', negative: 'red', guidance: 2 };
  const source = noiseImage(64, 64, 9);
  for (const model of [sampleEncoder, distEncoder]) {
    const edit = await img2img(model, { ...request, image: source, strength: 1 });
    const plain = await txt2img(model, request);
    assert.deepEqual(edit.images[0]!.image.data, plain.images[0]!.image.data);
    const other = await txt2img(model, { ...request, seed: 12 });
    assert.notDeepEqual(other.images[0]!.image.data, plain.images[0]!.image.data);
  }
});

test('partial strength moves toward the prompt at the source size, for any aspect', async () => {
  const source = flatImage(100, 70, [200, 40, 40]);
  const green = oracleExpectedPixel({ prompt: 'green', guidance: 1 });
  for (const scheduler of ['euler', 'euler_a', 'pndm']) {
    const result = await img2img(sampleEncoder, { ...BASE, scheduler, image: source, strength: 0.5 });
    const image = result.images[0]!.image;
    assert.equal(image.width, 100);
    assert.equal(image.height, 70);
    assert.equal(result.params.width, 64 + 24); // short side 64, aspect kept in multiples of 8
    assert.equal(result.params.height, 64);
    const mean = meanColour(image.data);
    mean.forEach((v, c) => assert.ok(Math.abs(v - green[c]!) <= 3, `${scheduler}: channel ${c} mean ${v} vs ${green[c]}`));
  }
});

test('an encoder returning mean and logvar is sampled with the generator, so later draws shift', async () => {
  // With a sample encoder the first draw is the noise; with a distribution encoder it comes second.
  const request = { ...BASE, scheduler: 'ddim', image: noiseImage(64, 64, 2), strength: 0.6 };
  const a = await img2img(sampleEncoder, request);
  const b = await img2img(distEncoder, request);
  assert.notDeepEqual(a.images[0]!.image.data, b.images[0]!.image.data);
  // Both still land near the prompt colour (the oracle's logvar makes the sample the mean; DDIM
  // keeps a trace of the noise, hence the wider margin).
  const green = oracleExpectedPixel({ prompt: 'green', guidance: 1 });
  for (const r of [a, b]) meanColour(r.images[0]!.image.data).forEach((v, c) => assert.ok(Math.abs(v - green[c]!) <= 6));
});

test('per-image seeds: image i of a batch equals a batch-1 run with seed + i', async () => {
  const request = { ...BASE, scheduler: 'ddim', image: noiseImage(64, 64, 5), strength: 0.7 };
  const batch = await img2img(distEncoder, { ...request, batch: 2 });
  const alone = await img2img(distEncoder, { ...request, seed: BASE.seed + 1 });
  assert.deepEqual(batch.images[1]!.image.data, alone.images[0]!.image.data);
});

test('generate dispatches txt2img to txt2img', async () => {
  const request = { ...BASE, scheduler: 'ddim' };
  const viaGenerate = await generate(sampleEncoder, { ...request, mode: 'txt2img' });
  const direct = await txt2img(sampleEncoder, request);
  assert.deepEqual(viaGenerate.images[0]!.image.data, direct.images[0]!.image.data);
});

test('an inpainting (9-channel) model also does txt2img and img2img', async () => {
  const inpainting = await models.load('inpaint', { inpaint: true });
  const green = oracleExpectedPixel({ prompt: 'green', guidance: 1 });
  const plain = await txt2img(inpainting, { ...BASE, scheduler: 'euler' });
  meanColour(plain.images[0]!.image.data).forEach((v, c) => assert.ok(Math.abs(v - green[c]!) <= 2, `txt2img channel ${c}: ${v}`));
  for (const strength of [0.5, 1]) {
    const edit = await img2img(inpainting, { ...BASE, scheduler: 'euler', image: flatImage(72, 56, [200, 40, 40]), strength });
    assert.equal(edit.images[0]!.image.width, 72);
    meanColour(edit.images[0]!.image.data).forEach((v, c) => assert.ok(Math.abs(v - green[c]!) <= 3, `img2img ${strength} channel ${c}: ${v}`));
  }
});

test('bad input names the field', async () => {
  const isError = (code: string, field: string) => (e: unknown) => e instanceof BridgeError && e.code === code && e.field === field;
  await assert.rejects(generate(sampleEncoder, { ...BASE, mode: 'img2img' }), isError('invalid_field', 'image'));
  await assert.rejects(img2img(sampleEncoder, { ...BASE, image: noiseImage(8, 8), strength: -0.1 }), isError('invalid_field', 'strength'));
  await assert.rejects(
    img2img(sampleEncoder, { ...BASE, image: { width: 4, height: 4, data: new Uint8Array(10) } }),
    isError('image_invalid', 'image'),
  );
});
