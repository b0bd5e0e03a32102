import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspectModel, type ModelInfo } from '../models/index.js';
import { makeTestModel, oracleExpectedPixel } from '../testmodels/index.js';
import { LoadedModel } from './loaded-model.js';
import { createScheduler } from './schedulers/index.js';
import { schedulerFor, txt2img } from './txt2img.js';

// Distilled models (SD-Turbo, LCM) are run in 1–4 steps. SD-Turbo ships a scheduler_config.json
// with timestep_spacing "trailing"; LCM distils a 50-step schedule. Both must start from pure noise
// at t=999 and end on a clean image, or the few steps they are given leave visible noise.

let dir: string;
let turbo: LoadedModel;
let info: ModelInfo;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-few-steps-'));
  await makeTestModel('oracle', join(dir, 'oracle'));
  info = await inspectModel(join(dir, 'oracle'));
  const turboConfig = { ...info.schedulerConfig, _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'trailing' };
  turbo = await LoadedModel.load({ ...info, schedulerConfig: turboConfig });
});

after(async () => {
  await turbo.release();
  await rm(dir, { recursive: true, force: true });
});

function maxDiff(data: Uint8Array, rgb: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs((data[i + c] as number) - (rgb[c] as number)));
  }
  return worst;
}

test('trailing spacing: Euler timesteps start at 999 as diffusers computes them', () => {
  const euler = schedulerFor(turbo, undefined);
  assert.equal(euler.className, 'EulerDiscreteScheduler');
  euler.setTimesteps(1);
  assert.deepEqual([...euler.timesteps], [999]);
  euler.setTimesteps(4);
  // diffusers: np.round(np.arange(1000, 0, -250)) - 1
  assert.deepEqual([...euler.timesteps], [999, 749, 499, 249]);
});

test('LCM skips through its 50-step distillation schedule', () => {
  const lcm = schedulerFor(turbo, 'lcm');
  lcm.setTimesteps(4);
  // diffusers LCMScheduler, original_inference_steps 50: lcm_origin_timesteps = 20·i − 1, every 12.5th kept.
  assert.deepEqual([...lcm.timesteps], [999, 759, 499, 259]);
  lcm.setTimesteps(1);
  assert.deepEqual([...lcm.timesteps], [999]);
});

for (const steps of [1, 2, 4]) {
  test(`Euler with trailing spacing gives a clean image in ${steps} step(s)`, async () => {
    // SD-Turbo is run without classifier-free guidance.
    const request = { prompt: 'a red barn', guidance: 0, steps, width: 32, height: 32, seed: 11 };
    const result = await txt2img(turbo, request);
    const expected = oracleExpectedPixel({ prompt: request.prompt, guidance: 1 });
    const image = result.images[0]?.image;
    assert.ok(image);
    assert.ok(maxDiff(image.data, expected) <= 2, `${steps} steps: ${maxDiff(image.data, expected)} off ${expected.join(',')}`);
  });

  test(`LCM gives a clean image in ${steps} step(s)`, async () => {
    const request = { prompt: 'blue sky', guidance: 1, steps, width: 32, height: 32, seed: 5, scheduler: 'lcm' };
    const result = await txt2img(turbo, request);
    const expected = oracleExpectedPixel({ prompt: request.prompt, guidance: 1 });
    const image = result.images[0]?.image;
    assert.ok(image);
    assert.ok(maxDiff(image.data, expected) <= 2, `LCM ${steps} steps: ${maxDiff(image.data, expected)} off ${expected.join(',')}`);
  });
}

test('leading spacing in one step stops at t=1 and keeps the noise of a barely-denoised sample', () => {
  // The contrast that makes trailing spacing necessary for 1-step models: with the stock SD1.x
  // config one Euler step starts at t=1, i.e. from a sample that is almost clean already.
  const trailing = schedulerFor(turbo, undefined);
  const stock = { ...info.schedulerConfig, timestep_spacing: 'leading', steps_offset: 1 };
  const sd15 = createScheduler('euler', stock);
  sd15.setTimesteps(1);
  trailing.setTimesteps(1);
  assert.deepEqual([...sd15.timesteps], [1]);
  assert.ok((sd15.sigmas?.[0] ?? NaN) < 0.1, `leading 1-step starts at sigma ${sd15.sigmas?.[0]}`);
  assert.ok((trailing.sigmas?.[0] ?? NaN) > 14, `trailing 1-step starts at sigma ${trailing.sigmas?.[0]}`);
});
