/**
 * PNDMScheduler against diffusers' tests/schedulers/test_scheduler_pndm.py (PNDMSchedulerTest):
 * config num_train_timesteps 1000, beta 0.0001–0.02 linear (skip_prk_steps false: the PRK warm-up);
 * full_loop = 10 steps over prk_timesteps then plms_timesteps. Tolerances: sum 1e-2, mean 1e-3.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScheduler } from './index.js';
import type { PndmScheduler } from './pndm.js';
import { assertFigures, dummySampleDeter, plainLoop } from './diffusers-fixtures.js';
import type { SchedulerConfig } from './types.js';

const CONFIG = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };

function fullLoop(extra: SchedulerConfig = {}): Float32Array {
  const s = createScheduler('PNDMScheduler', { ...CONFIG, ...extra }) as PndmScheduler;
  s.setTimesteps(10);
  // step() dispatches to step_prk for the PRK timesteps and to step_plms after, as the test calls them.
  assert.deepEqual(s.timesteps, [...s.prkTimesteps, ...s.plmsTimesteps]);
  return plainLoop(s, dummySampleDeter());
}

describe('PNDMScheduler vs diffusers PNDMSchedulerTest', () => {
  it('test_full_loop_no_noise: sum 198.1318, mean 0.2580', () => {
    assertFigures(fullLoop(), { sum: 198.1318, mean: 0.258 });
  });

  it('test_full_loop_with_v_prediction: sum 67.3986, mean 0.0878', () => {
    assertFigures(fullLoop({ prediction_type: 'v_prediction' }), { sum: 67.3986, mean: 0.0878 });
  });

  it('test_full_loop_with_set_alpha_to_one (beta_start 0.01): sum 230.0399, mean 0.2995', () => {
    assertFigures(fullLoop({ set_alpha_to_one: true, beta_start: 0.01 }), { sum: 230.0399, mean: 0.2995 });
  });

  it('test_full_loop_with_no_set_alpha_to_one (beta_start 0.01): sum 186.9482, mean 0.2434', () => {
    assertFigures(fullLoop({ set_alpha_to_one: false, beta_start: 0.01 }), { sum: 186.9482, mean: 0.2434 });
  });

  it('test_steps_offset: steps_offset 1, 10 steps → the PRK + PLMS list diffusers asserts', () => {
    const s = createScheduler('PNDMScheduler', { ...CONFIG, steps_offset: 1 });
    s.setTimesteps(10);
    assert.deepEqual(s.timesteps, [901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1]);
  });

  it('test_pndm_low_inference_steps_prk_validation: PRK needs ≥ 4 steps, PLMS does not', () => {
    const prk = createScheduler('PNDMScheduler', { ...CONFIG, skip_prk_steps: false });
    for (const n of [1, 2, 3]) assert.throws(() => prk.setTimesteps(n), { code: 'invalid_field', field: 'steps' });
    prk.setTimesteps(4);
    const plms = createScheduler('plms', CONFIG);
    for (const n of [1, 2, 3, 4]) plms.setTimesteps(n);
  });

  it('PLMS (skip_prk_steps, Stable Diffusion config): repeats the second timestep for its warm-up', () => {
    const s = createScheduler('PNDMScheduler', { ...CONFIG, skip_prk_steps: true, steps_offset: 1, set_alpha_to_one: false });
    s.setTimesteps(5);
    assert.deepEqual(s.timesteps, [801, 601, 601, 401, 201, 1]);
    // Six model calls for five steps; the result stays a finite, shrinking sample.
    const out = plainLoop(s, dummySampleDeter());
    assert.ok(out.every(Number.isFinite));
  });
});
