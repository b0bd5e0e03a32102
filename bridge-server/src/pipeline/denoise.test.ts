import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspectModel } from '../models/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { denoise } from './denoise.js';
import { LoadedModel } from './loaded-model.js';
import { BatchNoise } from './noise.js';
import { createScheduler } from './schedulers/index.js';
import type { Scheduler } from './schedulers/types.js';

let dir: string;
let model: LoadedModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-denoise-'));
  await makeTestModel('tiny-random', dir);
  model = await LoadedModel.load(await inspectModel(dir));
});

after(async () => {
  await model.release();
  await rm(dir, { recursive: true, force: true });
});

/** The same scheduler, claiming to keep its model outputs: the loop then gives it a fresh array a step. */
function keeping(s: Scheduler): Scheduler {
  return new Proxy(s, {
    get: (target, key) => (key === 'retainsModelOutput' ? true : Reflect.get(target, key, target)),
  });
}

test('one reused prediction buffer gives the latents a fresh buffer a step gives, bit for bit', async () => {
  const unet = await model.unet();
  const hidden = unet.inputs.find((i) => i.name === 'encoder_hidden_states')?.dims[2];
  assert.equal(typeof hidden, 'number');
  const h = hidden as number;
  const cond = { data: Float32Array.from({ length: 77 * h }, (_, i) => Math.sin(i) * 0.5), tokens: 77, hidden: h };
  const uncond = { data: Float32Array.from({ length: 77 * h }, (_, i) => Math.cos(i) * 0.5), tokens: 77, hidden: h };
  const shape = [1, 4, 8, 8] as const;
  for (const name of ['euler', 'euler_a', 'heun', 'lms', 'ddim', 'lcm', 'pndm', 'dpmpp_2m']) {
    const results: Float32Array[] = [];
    for (const wrap of [false, true]) {
      const config = model.info.schedulerConfig;
      const scheduler = createScheduler(name, config);
      scheduler.setTimesteps(6);
      const noise = new BatchNoise(11, 1, 'per-image');
      const start = noise.randn([1, 4, 8, 8]);
      const sigma = Math.fround(scheduler.initNoiseSigma);
      const latents = start.map((v) => v * sigma);
      results.push(
        await denoise({
          unet,
          scheduler: wrap ? keeping(scheduler) : scheduler,
          timesteps: scheduler.timesteps,
          latents,
          shape,
          cond,
          uncond,
          guidance: 6,
          noise,
        }),
      );
    }
    assert.deepEqual(results[0], results[1], `${name}: reusing the prediction buffer changed the result`);
  }
});
