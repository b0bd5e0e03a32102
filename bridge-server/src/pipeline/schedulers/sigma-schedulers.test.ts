/**
 * The k-diffusion style schedulers against diffusers' own full-loop figures, from
 * tests/schedulers/test_scheduler_{euler,lms,heun}.py. All three tests use num_train_timesteps 1100,
 * beta 0.0001–0.02 linear, 10 steps, sample = dummy_sample_deter · init_noise_sigma, and the loop
 * `sample = scale_model_input(sample, t); out = model(sample, t); sample = step(out, t, sample)`.
 * Tolerances as in diffusers (sum 1e-2, mean 1e-3; Heun's Karras mean 1e-2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFigures, dummyNoiseDeter, dummySampleDeter, scaled, scaledLoop } from './diffusers-fixtures.js';
import { createScheduler } from './index.js';
import { LmsScheduler } from './lms.js';
import type { SchedulerConfig } from './types.js';

const CONFIG = { num_train_timesteps: 1100, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };

function fullLoop(name: string, extra: SchedulerConfig = {}): Float32Array {
  const s = createScheduler(name, { ...CONFIG, ...extra });
  s.setTimesteps(10);
  return scaledLoop(s, scaled(dummySampleDeter(), s.initNoiseSigma));
}

/** test_full_loop_with_noise: t_start = 8, add_noise(dummy_noise_deter) at timesteps[t_start·order]. */
function loopWithNoise(name: string): Float32Array {
  const s = createScheduler(name, CONFIG);
  s.setTimesteps(10);
  const timesteps = s.timesteps.slice(8 * s.order);
  const noisy = s.addNoise(scaled(dummySampleDeter(), s.initNoiseSigma), dummyNoiseDeter(), timesteps[0] as number);
  return scaledLoop(s, noisy, timesteps);
}

describe('EulerDiscreteScheduler vs diffusers EulerDiscreteSchedulerTest', () => {
  it('test_full_loop_no_noise / test_full_loop_device: sum 10.0807, mean 0.0131', () => {
    assertFigures(fullLoop('EulerDiscreteScheduler'), { sum: 10.0807, mean: 0.0131 });
  });

  it('test_full_loop_with_v_prediction: sum 0.0002, mean 2.2676e-06', () => {
    assertFigures(fullLoop('EulerDiscreteScheduler', { prediction_type: 'v_prediction' }), { sum: 0.0002, mean: 2.2676e-6 });
  });

  it('test_full_loop_device_karras_sigmas: sum 124.52299499511719, mean 0.16213932633399963', () => {
    assertFigures(fullLoop('EulerDiscreteScheduler', { use_karras_sigmas: true }), {
      sum: 124.52299499511719,
      mean: 0.16213932633399963,
    });
  });

  it('test_full_loop_with_noise: sum 57062.9297, mean 74.3007', () => {
    assertFigures(loopWithNoise('EulerDiscreteScheduler'), { sum: 57062.9297, mean: 74.3007 });
  });

  it('the euler_karras alias is Euler with use_karras_sigmas', () => {
    assertFigures(fullLoop('euler_karras'), { sum: 124.52299499511719, mean: 0.16213932633399963 });
  });
});

describe('LMSDiscreteScheduler vs diffusers LMSDiscreteSchedulerTest', () => {
  it('test_full_loop_no_noise / test_full_loop_device: sum 1006.388, mean 1.31', () => {
    assertFigures(fullLoop('LMSDiscreteScheduler'), { sum: 1006.388, mean: 1.31 });
  });

  it('test_full_loop_with_v_prediction: sum 0.0017, mean 2.2676e-06', () => {
    assertFigures(fullLoop('LMSDiscreteScheduler', { prediction_type: 'v_prediction' }), { sum: 0.0017, mean: 2.2676e-6 });
  });

  it('test_full_loop_device_karras_sigmas: sum 3812.9927, mean 4.9648', () => {
    assertFigures(fullLoop('LMSDiscreteScheduler', { use_karras_sigmas: true }), { sum: 3812.9927, mean: 4.9648 });
  });

  it('integrates the LMS coefficients exactly: they sum to the sigma interval', () => {
    // Σ_c ∫ ℓ_c(τ)dτ = ∫ 1 dτ, since the Lagrange basis sums to one.
    const s = new LmsScheduler(CONFIG);
    s.setTimesteps(10);
    for (const [order, t] of [[1, 0], [2, 1], [3, 2], [4, 6]] as const) {
      let total = 0;
      for (let c = 0; c < order; c++) total += s.lmsCoefficient(order, t, c);
      const width = (s.sigmas[t + 1] as number) - (s.sigmas[t] as number);
      assert.ok(Math.abs(total - width) < 1e-12 * Math.max(1, Math.abs(width)), `order ${order} at ${t}`);
    }
  });
});

describe('HeunDiscreteScheduler vs diffusers HeunDiscreteSchedulerTest', () => {
  it('test_full_loop_no_noise / test_full_loop_device: sum 0.1233, mean 0.0002', () => {
    assertFigures(fullLoop('HeunDiscreteScheduler'), { sum: 0.1233, mean: 0.0002 });
  });

  it('test_full_loop_with_v_prediction: sum 4.6934e-07, mean 6.1112e-10', () => {
    assertFigures(fullLoop('HeunDiscreteScheduler', { prediction_type: 'v_prediction' }), { sum: 4.6934e-7, mean: 6.1112e-10 });
  });

  it('test_full_loop_device_karras_sigmas: sum 0.00015, mean 1.9869554535034695e-07 (both 1e-2)', () => {
    assertFigures(
      fullLoop('HeunDiscreteScheduler', { use_karras_sigmas: true }),
      { sum: 0.00015, mean: 1.9869554535034695e-7 },
      { sum: 1e-2, mean: 1e-2 },
    );
  });

  it('test_full_loop_with_noise (t_start 8 → index 16): sum 75074.8906, mean 97.7538', () => {
    assertFigures(loopWithNoise('HeunDiscreteScheduler'), { sum: 75074.8906, mean: 97.7538 });
  });

  it('repeats each inner timestep and sigma for the corrector call (order 2)', () => {
    const s = createScheduler('heun', CONFIG);
    s.setTimesteps(3);
    assert.equal(s.order, 2);
    const [t0, t1, t2] = [1099, 549.5, 0].map(Math.fround);
    assert.deepEqual(s.timesteps, [t0, t1, t1, t2, t2]);
    const sig = s.sigmas ?? [];
    assert.equal(sig.length, 6);
    assert.equal(sig[1], sig[2]);
    assert.equal(sig[3], sig[4]);
    assert.equal(sig[5], 0);
  });
});
