/**
 * Timesteps and sigmas after setTimesteps(n), n ∈ {1, 4, 25, 50}, for every spacing, against
 * diffusers' set_timesteps formulas written out here independently: exact rational arithmetic for
 * the integer schedules (numpy rounds halves to even), a float64 training schedule for the sigmas.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScheduler } from './index.js';
import type { Scheduler, SchedulerConfig } from './types.js';

const T = 1000;
const STEPS = [1, 4, 25, 50] as const;
const SPACINGS = ['linspace', 'leading', 'trailing'] as const;
const BASE = { num_train_timesteps: T, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', steps_offset: 1 };
const OFFSET = BASE.steps_offset;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** round(num / den), halves to even, for integers. */
function roundRational(num: number, den: number): number {
  const q = Math.floor(num / den);
  const twice = 2 * (num - q * den);
  if (twice > den) return q + 1;
  if (twice < den) return q;
  return q % 2 === 0 ? q : q + 1;
}

/** ᾱ and σ of the scaled_linear schedule in plain float64. */
const TRAIN_SIGMAS = (() => {
  const [a, b] = [Math.sqrt(BASE.beta_start), Math.sqrt(BASE.beta_end)];
  let bar = 1;
  return range(T).map((i) => {
    const root = a + ((b - a) * i) / (T - 1);
    bar *= 1 - root * root;
    return Math.sqrt((1 - bar) / bar);
  });
})();

function sigmaAtT(t: number): number {
  const j = Math.min(Math.floor(t), T - 2);
  const lo = TRAIN_SIGMAS[j] as number;
  return lo + (t - j) * ((TRAIN_SIGMAS[j + 1] as number) - lo);
}

/** The fractional timestep whose log sigma matches, interpolating log sigma linearly. */
function tForSigma(sigma: number): number {
  const logs = TRAIN_SIGMAS.map(Math.log);
  const l = Math.log(sigma);
  if (l <= (logs[0] as number)) return 0;
  let j = 0;
  while (j < T - 2 && (logs[j + 1] as number) <= l) j++;
  return Math.min(T - 1, j + (l - (logs[j] as number)) / ((logs[j + 1] as number) - (logs[j] as number)));
}

function karras(sigmaMin: number, sigmaMax: number, n: number): number[] {
  const [lo, hi] = [sigmaMin ** (1 / 7), sigmaMax ** (1 / 7)];
  return range(n).map((i) => (hi + (n === 1 ? 0 : i / (n - 1)) * (lo - hi)) ** 7);
}

/** DDIM / DDPM: integer timesteps, descending. */
function expectedInteger(spacing: string, n: number): number[] {
  if (spacing === 'linspace') return range(n).map((i) => (n === 1 ? 0 : roundRational((T - 1) * (n - 1 - i), n - 1)));
  if (spacing === 'leading') return range(n).map((i) => (n - 1 - i) * Math.floor(T / n) + OFFSET);
  return range(n).map((i) => roundRational(T * (n - i), n) - 1);
}

/** DPMSolverMultistep / UniPC: n + 1 points, the last one dropped. */
function expectedMultistep(spacing: string, n: number): number[] {
  if (spacing === 'linspace') return range(n).map((k) => roundRational((T - 1) * (n - k), n));
  if (spacing === 'leading') return range(n).map((k) => (n - k) * Math.floor(T / (n + 1)) + OFFSET);
  return range(n).map((k) => roundRational(T * (n - k), n) - 1);
}

/** Euler / LMS / Euler ancestral: float timesteps (fractional for linspace). */
function expectedFloat(spacing: string, n: number): number[] {
  if (spacing === 'linspace') return range(n).map((i) => (n === 1 ? 0 : ((T - 1) * (n - 1 - i)) / (n - 1)));
  return expectedInteger(spacing, n);
}

function setUp(name: string, n: number, extra: SchedulerConfig = {}): Scheduler {
  const s = createScheduler(name, { ...BASE, ...extra });
  s.setTimesteps(n);
  return s;
}

function assertClose(actual: readonly number[], expected: readonly number[], rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => {
    const a = actual[i] as number;
    assert.ok(Math.abs(a - e) <= rel * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  });
}

describe('integer schedules (DDIM, DDPM)', () => {
  for (const name of ['DDIMScheduler', 'DDPMScheduler']) {
    for (const spacing of SPACINGS) {
      it(`${name}, ${spacing}: n = 1, 4, 25, 50`, () => {
        for (const n of STEPS) assert.deepEqual(setUp(name, n, { timestep_spacing: spacing }).timesteps, expectedInteger(spacing, n), `n=${n}`);
      });
    }
  }

  it('linspace rounds halves to even like numpy (25 steps: 999·4/24 = 166.5 → 166)', () => {
    assert.ok(setUp('DDIMScheduler', 25, { timestep_spacing: 'linspace' }).timesteps.includes(166));
  });
});

describe('sigma schedules (Euler, LMS, Euler ancestral)', () => {
  for (const name of ['EulerDiscreteScheduler', 'LMSDiscreteScheduler', 'EulerAncestralDiscreteScheduler']) {
    for (const spacing of SPACINGS) {
      it(`${name}, ${spacing}: timesteps, interpolated sigmas, final 0, init_noise_sigma`, () => {
        for (const n of STEPS) {
          const s = setUp(name, n, { timestep_spacing: spacing });
          const ts = expectedFloat(spacing, n);
          assertClose(s.timesteps, ts, 1e-6, `${name} n=${n} timesteps`);
          assertClose(s.sigmas ?? [], [...ts.map(sigmaAtT), 0], 1e-5, `${name} n=${n} sigmas`);
          const max = Math.max(...(s.sigmas ?? []));
          const init = spacing === 'leading' ? Math.sqrt(max * max + 1) : max;
          assert.ok(Math.abs(s.initNoiseSigma - init) < 1e-5 * init, `init_noise_sigma n=${n}`);
        }
      });
    }
  }

  it('Euler with Karras sigmas: Karras et al. ρ = 7 between the training extremes, fractional timesteps', () => {
    for (const n of [4, 25, 50]) {
      const s = setUp('EulerDiscreteScheduler', n, { use_karras_sigmas: true });
      const sig = karras(TRAIN_SIGMAS[0] as number, TRAIN_SIGMAS[T - 1] as number, n);
      assertClose(s.sigmas ?? [], [...sig, 0], 1e-5, `sigmas n=${n}`);
      assertClose(s.timesteps, sig.map(tForSigma), 1e-4, `timesteps n=${n}`);
    }
  });

  it("Stable Diffusion's schedule: σ_max 14.6146, σ_min 0.0292 (k-diffusion's printed values)", () => {
    const s = setUp('euler', 50);
    assert.ok(Math.abs(s.initNoiseSigma - 14.6146) < 1e-4);
    assert.ok(Math.abs((s.sigmas?.[49] as number) - 0.0292) < 1e-4);
  });

  it('Euler final_sigmas_type sigma_min ends on the smallest training sigma', () => {
    const s = setUp('euler', 4, { final_sigmas_type: 'sigma_min' });
    assert.ok(Math.abs((s.sigmas?.[4] as number) - (TRAIN_SIGMAS[0] as number)) < 1e-6);
  });
});

describe('multistep schedules (DPMSolverMultistep, UniPC)', () => {
  for (const name of ['DPMSolverMultistepScheduler', 'UniPCMultistepScheduler']) {
    for (const spacing of SPACINGS) {
      it(`${name}, ${spacing}: n + 1 spacing without the last point, sigmas interpolated, final 0`, () => {
        for (const n of STEPS) {
          const s = setUp(name, n, { timestep_spacing: spacing });
          const ts = expectedMultistep(spacing, n);
          assert.deepEqual(s.timesteps, ts, `n=${n}`);
          assertClose(s.sigmas ?? [], [...ts.map(sigmaAtT), 0], 1e-5, `sigmas n=${n}`);
          assert.equal(s.initNoiseSigma, 1);
        }
      });
    }
  }

  it('DPM++ 2M Karras: Karras sigmas, timesteps rounded to the nearest training step', () => {
    for (const n of STEPS) {
      const s = setUp('dpmpp_2m_karras', n);
      const sig = karras(TRAIN_SIGMAS[0] as number, TRAIN_SIGMAS[T - 1] as number, n);
      assertClose(s.sigmas ?? [], [...sig, 0], 1e-5, `sigmas n=${n}`);
      sig.forEach((v, i) => assert.ok(Math.abs((s.timesteps[i] as number) - tForSigma(v)) <= 0.5 + 1e-3, `t[${i}] n=${n}`));
    }
  });

  it('final_sigmas_type sigma_min: DPM ends on the training minimum, UniPC-Karras on its own last sigma', () => {
    const dpm = setUp('DPMSolverMultistepScheduler', 4, { final_sigmas_type: 'sigma_min', use_karras_sigmas: true });
    assert.ok(Math.abs((dpm.sigmas?.[4] as number) - (TRAIN_SIGMAS[0] as number)) < 1e-6);
    const unipc = setUp('UniPCMultistepScheduler', 4, { final_sigmas_type: 'sigma_min', use_karras_sigmas: true });
    assert.equal(unipc.sigmas?.[4], unipc.sigmas?.[3]);
  });
});

describe('other schedules', () => {
  it('PLMS (skip_prk_steps): the spacing ascending, second timestep repeated, reversed', () => {
    for (const n of STEPS) {
      const base = range(n).map((i) => i * Math.floor(T / n) + OFFSET);
      const expected = [...base.slice(0, -1), ...base.slice(-2, -1), ...base.slice(-1)].reverse();
      assert.deepEqual(setUp('plms', n).timesteps, expected, `n=${n}`);
    }
  });

  it('LCM: evenly skipped distillation steps 999, 979, …, 19 (original_inference_steps 50)', () => {
    for (const n of STEPS) {
      const expected = range(n).map((k) => 999 - 20 * Math.floor((50 * k) / n));
      assert.deepEqual(setUp('lcm', n).timesteps, expected, `n=${n}`);
    }
  });

  it('Heun: Euler timesteps with every inner one repeated', () => {
    for (const n of STEPS) {
      const ts = expectedFloat('linspace', n);
      assertClose(setUp('heun', n).timesteps, [ts[0] as number, ...ts.slice(1).flatMap((t) => [t, t])], 1e-6, `n=${n}`);
    }
  });
});
