/**
 * DDIMScheduler against diffusers' tests/schedulers/test_scheduler_ddim.py (DDIMSchedulerTest):
 * config num_train_timesteps 1000, beta 0.0001–0.02 linear, clip_sample true; full_loop = 10 steps,
 * eta 0, model on the raw sample. Tolerances as in diffusers: sum 1e-2, mean 1e-3.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DdimScheduler } from './ddim.js';
import { createScheduler } from './index.js';
import { assertFigures, dummyNoiseDeter, dummySampleDeter, plainLoop } from './diffusers-fixtures.js';
import type { SchedulerConfig } from './types.js';

const CONFIG = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear', clip_sample: true };

function fullLoop(extra: SchedulerConfig = {}): Float32Array {
  const s = createScheduler('DDIMScheduler', { ...CONFIG, ...extra });
  s.setTimesteps(10);
  return plainLoop(s, dummySampleDeter());
}

describe('DDIMScheduler vs diffusers DDIMSchedulerTest', () => {
  it('test_full_loop_no_noise: sum 172.0067, mean 0.223967', () => {
    assertFigures(fullLoop(), { sum: 172.0067, mean: 0.223967 });
  });

  it('test_full_loop_with_v_prediction: sum 52.5302, mean 0.0684', () => {
    assertFigures(fullLoop({ prediction_type: 'v_prediction' }), { sum: 52.5302, mean: 0.0684 });
  });

  it('test_full_loop_with_set_alpha_to_one (beta_start 0.01): sum 149.8295, mean 0.1951', () => {
    assertFigures(fullLoop({ set_alpha_to_one: true, beta_start: 0.01 }), { sum: 149.8295, mean: 0.1951 });
  });

  it('test_full_loop_with_no_set_alpha_to_one (beta_start 0.01): sum 149.0784, mean 0.1941', () => {
    assertFigures(fullLoop({ set_alpha_to_one: false, beta_start: 0.01 }), { sum: 149.0784, mean: 0.1941 });
  });

  it('test_full_loop_with_noise (t_start 8, dummy_noise_deter): sum 354.5418, mean 0.4616', () => {
    const s = createScheduler('DDIMScheduler', CONFIG);
    s.setTimesteps(10);
    const timesteps = s.timesteps.slice(8 * s.order);
    const noisy = s.addNoise(dummySampleDeter(), dummyNoiseDeter(), timesteps[0] as number);
    assertFigures(plainLoop(s, noisy, timesteps), { sum: 354.5418, mean: 0.4616 });
  });

  it('test_steps_offset: steps_offset 1, 5 steps → [801, 601, 401, 201, 1]', () => {
    const s = createScheduler('DDIMScheduler', { ...CONFIG, steps_offset: 1 });
    s.setTimesteps(5);
    assert.deepEqual(s.timesteps, [801, 601, 401, 201, 1]);
  });

  it('test_variance: the η = 1 noise scale follows _get_variance', () => {
    // diffusers: _get_variance(420, 400) = 0.14771, (980, 960) = 0.32460. With η = 1 the fresh noise
    // is scaled by √variance, so a zero model output and sample isolate it.
    const s = new DdimScheduler({ ...CONFIG, clip_sample: false });
    s.setTimesteps(50);
    s.eta = 1;
    const ones = { randn: (shape: readonly number[]) => new Float32Array(shape[0] ?? 0).fill(1) };
    const zero = new Float32Array(4);
    for (const [t, variance] of [[420, 0.14771], [980, 0.3246]] as const) {
      const out = s.step(zero, t, zero, ones).prevSample;
      assert.ok(Math.abs((out[0] as number) ** 2 - variance) < 1e-5, `variance at ${t}: ${(out[0] as number) ** 2}`);
    }
  });
});
