/**
 * createScheduler: names and aliases, diffusers' from_config semantics, refused configurations, and
 * img2imgTimesteps (StableDiffusionImg2ImgPipeline.get_timesteps).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { dummySampleDeter, dummyNoiseDeter, StubGenerator } from './diffusers-fixtures.js';
import { createScheduler, img2imgTimesteps, SCHEDULER_NAMES, schedulerClassName } from './index.js';

/** Stable Diffusion 1.5's scheduler_config.json. */
const SD15 = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

const CLASS_NAMES = [
  'DDIMScheduler',
  'DDPMScheduler',
  'PNDMScheduler',
  'LMSDiscreteScheduler',
  'EulerDiscreteScheduler',
  'EulerAncestralDiscreteScheduler',
  'HeunDiscreteScheduler',
  'DPMSolverMultistepScheduler',
  'UniPCMultistepScheduler',
  'LCMScheduler',
];
const ALIASES = ['euler', 'euler_a', 'ddim', 'pndm', 'plms', 'lms', 'heun', 'dpmpp_2m', 'dpmpp_2m_karras', 'dpmpp_2m_sde', 'unipc', 'lcm', 'ddpm'];

function expectConfigError(fn: () => unknown, field: string, code = 'scheduler_config_invalid'): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BridgeError, `not a BridgeError: ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.field, field);
    return true;
  });
}

describe('createScheduler', () => {
  it('knows every class and alias the capabilities list names', () => {
    for (const name of [...CLASS_NAMES, ...ALIASES]) {
      assert.ok(SCHEDULER_NAMES.includes(name), name);
      const s = createScheduler(name, SD15);
      assert.equal(s.className, schedulerClassName(name));
      s.setTimesteps(4);
      assert.ok(s.timesteps.length >= 4);
    }
  });

  it('unknown names throw unknown_scheduler', () => {
    expectConfigError(() => createScheduler('KDPM2DiscreteScheduler', SD15), 'scheduler', 'unknown_scheduler');
    expectConfigError(() => createScheduler('toString', SD15), 'scheduler', 'unknown_scheduler');
  });

  it("from_config: keeps the shared keys of another class's config, ignores the unknown ones, fills defaults", () => {
    const euler = createScheduler('euler', SD15);
    assert.equal(euler.config.beta_schedule, 'scaled_linear');
    assert.equal(euler.config.steps_offset, 1);
    assert.equal(euler.config.timestep_spacing, 'linspace'); // Euler's default: the SD 1.5 file has no spacing key
    assert.equal(euler.config['skip_prk_steps'], undefined);
    assert.equal(euler.config['final_sigmas_type'], 'zero');
    const ddim = createScheduler('ddim', SD15);
    assert.equal(ddim.config.timestep_spacing, 'leading');
    assert.equal(ddim.config['set_alpha_to_one'], false);
    assert.equal(ddim.config['clip_sample'], false);
  });

  it('aliases imply options on top of the model config', () => {
    assert.equal(createScheduler('dpmpp_2m_karras', SD15).config['use_karras_sigmas'], true);
    assert.equal(createScheduler('dpmpp_2m_sde', SD15).config['algorithm_type'], 'sde-dpmsolver++');
    assert.equal(createScheduler('plms', { ...SD15, skip_prk_steps: false }).config['skip_prk_steps'], true);
    assert.equal(createScheduler('dpmpp_2m', { ...SD15, algorithm_type: 'sde-dpmsolver++' }).config['algorithm_type'], 'dpmsolver++');
  });

  it("ignores another class's values for keys it does not read (a DDPM variance_type for DPM-Solver)", () => {
    const s = createScheduler('dpmpp_2m', { ...SD15, _class_name: 'DDPMScheduler', variance_type: 'fixed_small' });
    s.setTimesteps(4);
    expectConfigError(() => createScheduler('dpmpp_2m', { ...SD15, variance_type: 'learned_range' }), 'variance_type');
  });

  it('a DEIS or UniPC config maps to DPM-Solver defaults (algorithm deis, solver bh2) as diffusers does', () => {
    const s = createScheduler('DPMSolverMultistepScheduler', { ...SD15, algorithm_type: 'deis', solver_type: 'bh2' });
    assert.equal(s.config['algorithm_type'], 'dpmsolver++');
    assert.equal(s.config['solver_type'], 'midpoint');
  });
});

describe('refused configurations', () => {
  it('unknown beta_schedule, prediction_type, timestep_spacing', () => {
    expectConfigError(() => createScheduler('euler', { ...SD15, beta_schedule: 'cosine' }), 'beta_schedule');
    expectConfigError(() => createScheduler('ddim', { ...SD15, prediction_type: 'x0' }), 'prediction_type');
    expectConfigError(() => createScheduler('unipc', { ...SD15, timestep_spacing: 'uniform' }), 'timestep_spacing');
  });

  it('wrong types and values: NaN, non-integers, short trained_betas', () => {
    expectConfigError(() => createScheduler('euler', { ...SD15, num_train_timesteps: Number.NaN }), 'num_train_timesteps');
    expectConfigError(() => createScheduler('euler', { ...SD15, num_train_timesteps: 10.5 }), 'num_train_timesteps');
    expectConfigError(() => createScheduler('euler', { ...SD15, beta_start: '0.1' }), 'beta_start');
    expectConfigError(() => createScheduler('euler', { ...SD15, use_karras_sigmas: 'yes' }), 'use_karras_sigmas');
    expectConfigError(() => createScheduler('ddim', { ...SD15, trained_betas: [0.1, 0.2] }), 'trained_betas');
  });

  it('features we do not implement say so', () => {
    expectConfigError(() => createScheduler('ddim', { ...SD15, thresholding: true }), 'thresholding');
    expectConfigError(() => createScheduler('euler', { ...SD15, use_beta_sigmas: true }), 'use_beta_sigmas');
    expectConfigError(() => createScheduler('ddpm', { ...SD15, variance_type: 'learned_range' }), 'variance_type');
    expectConfigError(() => createScheduler('euler_a', { ...SD15, prediction_type: 'sample' }), 'prediction_type');
    expectConfigError(() => createScheduler('DPMSolverMultistepScheduler', { ...SD15, algorithm_type: 'dpmsolver' }), 'final_sigmas_type');
  });

  it('steps outside 1 … num_train_timesteps (LCM: original_inference_steps) are invalid_field steps', () => {
    for (const name of ['euler', 'ddim', 'dpmpp_2m', 'unipc', 'lcm', 'heun']) {
      const s = createScheduler(name, SD15);
      for (const bad of [0, -1, 1001, Number.NaN, 2.5]) expectConfigError(() => s.setTimesteps(bad), 'steps', 'invalid_field');
    }
    expectConfigError(() => createScheduler('lcm', SD15).setTimesteps(51), 'steps', 'invalid_field');
    createScheduler('ddim', SD15).setTimesteps(1000);
  });
});

describe('img2imgTimesteps', () => {
  it('get_timesteps: t_start = steps - int(steps·strength), sliced by order, begin index set', () => {
    const euler = createScheduler('euler', SD15);
    const { timesteps, startIndex } = img2imgTimesteps(euler, 50, 0.3);
    assert.equal(startIndex, 35);
    assert.deepEqual(timesteps, euler.timesteps.slice(35));
    const heun = createScheduler('heun', SD15);
    const h = img2imgTimesteps(heun, 10, 0.5);
    assert.equal(h.startIndex, 10);
    assert.equal(h.timesteps.length, heun.timesteps.length - 10);
    assert.deepEqual(img2imgTimesteps(createScheduler('ddim', SD15), 20, 1).startIndex, 0);
    assert.equal(img2imgTimesteps(createScheduler('ddim', SD15), 20, 0).timesteps.length, 0);
    expectConfigError(() => img2imgTimesteps(euler, 20, 1.5), 'strength', 'invalid_field');
  });

  it('with a begin index, add_noise and the first step use that index even for a repeated timestep', () => {
    // Heun's schedule repeats inner timesteps; without begin_index the lookup would take the second copy.
    const heun = createScheduler('heun', SD15);
    const { timesteps, startIndex } = img2imgTimesteps(heun, 10, 0.5);
    const t = timesteps[0] as number;
    const sigma = heun.sigmas?.[startIndex] as number;
    const x = dummySampleDeter();
    const noise = dummyNoiseDeter();
    const noisy = heun.addNoise(x, noise, t);
    assert.ok(Math.abs((noisy[5] as number) - ((x[5] as number) + (noise[5] as number) * sigma)) < 1e-6);
    const scaledInput = heun.scaleModelInput(noisy, t);
    assert.ok(Math.abs((scaledInput[5] as number) - (noisy[5] as number) / Math.sqrt(sigma * sigma + 1)) < 1e-6);
  });

  it('DPM-Solver with final sigma zero: the last step returns the data prediction x0', () => {
    const s = createScheduler('dpmpp_2m', SD15);
    s.setTimesteps(5);
    const x = dummySampleDeter();
    for (const t of s.timesteps.slice(0, -1)) s.step(new Float32Array(x.length), t, x);
    const t = s.timesteps[4] as number;
    const eps = new Float32Array(x.length).fill(0.25);
    const out = s.step(eps, t, x).prevSample;
    const sigma = s.sigmas?.[4] as number;
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    for (let i = 0; i < x.length; i += 50) {
      const x0 = ((x[i] as number) - sigma * alpha * 0.25) / alpha;
      assert.ok(Math.abs((out[i] as number) - x0) < 1e-5, `element ${i}`);
    }
  });

  it('schedulers that draw noise refuse to step without a generator', () => {
    for (const name of ['euler_a', 'ddpm', 'lcm', 'dpmpp_2m_sde']) {
      const s = createScheduler(name, SD15);
      s.setTimesteps(4);
      const x = dummySampleDeter();
      const t = s.timesteps[0] as number;
      expectConfigError(() => s.step(x, t, s.scaleModelInput(x, t)), 'generator', 'invalid_field');
      s.setTimesteps(4);
      s.step(x, t, s.scaleModelInput(x, t), new StubGenerator());
    }
  });
});
