/**
 * The hires fix at the processing level, where UNet calls can be counted: the first pass at the
 * requested size, the second at the target size with A1111's step counting (hr_second_pass_steps
 * steps on a schedule of int(steps / denoising_strength)).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { inspectModel } from '../models/index.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { DEFAULT_LIMITS } from '../pipeline/params.js';
import type { OnnxModel } from '../runtime/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { Fields, readModel } from './fields.js';
import { OptionStore } from './options.js';
import { commonParams } from './processing/params.js';
import { runTxt2img, type HiresParams } from './processing/txt2img.js';
import { TXT2IMG_FIELDS } from './request-models.js';
import { A1111State } from './state.js';

let dir: string;
let model: LoadedModel;
const calls: Array<readonly number[]> = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-a1111-hires-'));
  await makeTestModel('tiny-random', path.join(dir, 'tiny'));
  model = await LoadedModel.load(await inspectModel(path.join(dir, 'tiny')), { threads: 1 });
  const unet: OnnxModel = await model.unet();
  const run = unet.run.bind(unet);
  unet.run = (feeds) => {
    const sample = feeds['sample'];
    calls.push(typeof sample === 'object' && 'dims' in sample ? [...sample.dims] : []);
    return run(feeds);
  };
});

after(async () => {
  await model.release();
  await rm(dir, { recursive: true, force: true });
});

async function generate(body: Record<string, unknown>, hr: Partial<HiresParams>) {
  const view = new OptionStore(undefined).view();
  const f = new Fields(readModel(body, TXT2IMG_FIELDS));
  const c = commonParams(f, view, []);
  const hires: HiresParams = { enabled: true, denoisingStrength: 0.5, scale: 2, upscaler: undefined, secondPassSteps: 0, resizeX: 0, resizeY: 0, sampler: undefined, samplerName: undefined, prompt: '', negative: '', ...hr };
  calls.length = 0;
  const state = new A1111State();
  state.begin('test');
  return runTxt2img({ model, modelName: 'tiny', modelHash: undefined, options: view, state, signal: new AbortController().signal, limits: DEFAULT_LIMITS }, c, hires);
}

test('hires fix: first pass at width×height, second at the target size; steps as A1111 counts them', async () => {
  const body = { prompt: 'a tower', steps: 3, width: 64, height: 64, seed: 1, sampler_name: 'Euler' };
  const withSteps = await generate(body, { secondPassSteps: 4 });
  // Batched CFG: one UNet call a step. 3 first-pass steps at 8×8 latents, then exactly 4 at 16×16.
  assert.deepEqual(calls, [...Array(3).fill([2, 4, 8, 8]), ...Array(4).fill([2, 4, 16, 16])]);
  assert.deepEqual([withSteps.images[0]?.width, withSteps.images[0]?.height], [128, 128]);
  // hr_second_pass_steps 0 runs the first pass's step count again.
  await generate(body, { secondPassSteps: 0 });
  assert.equal(calls.filter((d) => d[2] === 16).length, 3);
  const off = await generate(body, { enabled: false });
  assert.equal(calls.length, 3);
  assert.deepEqual([off.images[0]?.width, off.images[0]?.height], [64, 64]);
});

test('hires resize to an aspect other than the first pass crops in latent space to the target', async () => {
  const out = await generate({ prompt: 'a tower', steps: 2, width: 64, height: 64, seed: 1 }, { resizeX: 128, resizeY: 96, upscaler: 'Latent (bicubic)' });
  assert.deepEqual([out.images[0]?.width, out.images[0]?.height], [128, 96]);
  assert.deepEqual(calls[calls.length - 1], [2, 4, 12, 16]);
});
