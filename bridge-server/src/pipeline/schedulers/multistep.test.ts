/**
 * DPMSolverMultistep and UniPCMultistep against diffusers' full-loop figures, from
 * tests/schedulers/test_scheduler_dpm_multi.py and test_scheduler_unipc.py: num_train_timesteps 1000,
 * beta 0.0001–0.02 linear, solver_order 2, 10 steps, model on the raw sample (no input scaling).
 * Tolerances as in diffusers (mean 1e-3, sum 1e-2).
 */
import { describe, it } from 'node:test';
import { assertFigures, dummyNoiseDeter, dummySampleDeter, plainLoop } from './diffusers-fixtures.js';
import { createScheduler } from './index.js';
import type { SchedulerConfig } from './types.js';

const DPM_CONFIG = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  solver_order: 2,
  prediction_type: 'epsilon',
  thresholding: false,
  sample_max_value: 1.0,
  algorithm_type: 'dpmsolver++',
  solver_type: 'midpoint',
  lower_order_final: false,
  euler_at_final: false,
  lambda_min_clipped: null, // -float("inf") in the test; JSON has no infinity, null means the default (-inf)
  variance_type: null,
  final_sigmas_type: 'sigma_min',
};

const UNIPC_CONFIG = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  solver_order: 2,
  solver_type: 'bh2',
  final_sigmas_type: 'sigma_min',
};

function fullLoop(name: string, config: SchedulerConfig): Float32Array {
  const s = createScheduler(name, config);
  s.setTimesteps(10);
  return plainLoop(s, dummySampleDeter());
}

function loopWithNoise(name: string, config: SchedulerConfig, tStart: number): Float32Array {
  const s = createScheduler(name, config);
  s.setTimesteps(10);
  const timesteps = s.timesteps.slice(tStart * s.order);
  const noisy = s.addNoise(dummySampleDeter(), dummyNoiseDeter(), timesteps[0] as number);
  return plainLoop(s, noisy, timesteps);
}

describe('DPMSolverMultistepScheduler vs diffusers DPMSolverMultistepSchedulerTest', () => {
  const dpm = (extra: SchedulerConfig = {}) => fullLoop('DPMSolverMultistepScheduler', { ...DPM_CONFIG, ...extra });

  it('test_full_loop_no_noise: mean 0.3301', () => {
    assertFigures(dpm(), { mean: 0.3301 });
  });

  it('test_full_loop_with_v_prediction: mean 0.2251', () => {
    assertFigures(dpm({ prediction_type: 'v_prediction' }), { mean: 0.2251 });
  });

  it('test_full_loop_with_karras_and_v_prediction: mean 0.2096', () => {
    assertFigures(dpm({ prediction_type: 'v_prediction', use_karras_sigmas: true }), { mean: 0.2096 });
  });

  it('test_full_loop_with_lu_and_v_prediction: mean 0.1554', () => {
    assertFigures(dpm({ prediction_type: 'v_prediction', use_lu_lambdas: true }), { mean: 0.1554 });
  });

  it('test_full_loop_with_noise (t_start 5): sum 318.4111, mean 0.4146', () => {
    assertFigures(loopWithNoise('DPMSolverMultistepScheduler', DPM_CONFIG, 5), { sum: 318.4111, mean: 0.4146 });
  });

  it('test_switch: DPM → UniPC → DPM keeps the configuration (mean 0.3301)', () => {
    const viaUniPc = createScheduler('UniPCMultistepScheduler', DPM_CONFIG).config;
    assertFigures(fullLoop('DPMSolverMultistepScheduler', viaUniPc), { mean: 0.3301 });
  });

  it('dpmpp_2m over the test config: the alias only pins the algorithm', () => {
    assertFigures(fullLoop('dpmpp_2m', DPM_CONFIG), { mean: 0.3301 });
  });
});

describe('UniPCMultistepScheduler vs diffusers UniPCMultistepSchedulerTest', () => {
  const unipc = (extra: SchedulerConfig = {}) => fullLoop('UniPCMultistepScheduler', { ...UNIPC_CONFIG, ...extra });

  it('test_full_loop_no_noise: mean 0.2464', () => {
    assertFigures(unipc(), { mean: 0.2464 });
  });

  it('test_full_loop_with_karras: mean 0.2925', () => {
    assertFigures(unipc({ use_karras_sigmas: true }), { mean: 0.2925 });
  });

  it('test_full_loop_with_v_prediction: mean 0.1014', () => {
    assertFigures(unipc({ prediction_type: 'v_prediction' }), { mean: 0.1014 });
  });

  it('test_full_loop_with_karras_and_v_prediction: mean 0.1966', () => {
    assertFigures(unipc({ prediction_type: 'v_prediction', use_karras_sigmas: true }), { mean: 0.1966 });
  });

  it('test_full_loop_with_noise (t_start 8): sum 315.5757, mean 0.4109', () => {
    assertFigures(loopWithNoise('UniPCMultistepScheduler', UNIPC_CONFIG, 8), { sum: 315.5757, mean: 0.4109 });
  });

  it('test_switch: UniPC → DPM → UniPC keeps the configuration (mean 0.2464)', () => {
    const viaDpm = createScheduler('DPMSolverMultistepScheduler', UNIPC_CONFIG).config;
    assertFigures(fullLoop('UniPCMultistepScheduler', viaDpm), { mean: 0.2464 });
  });
});
