/**
 * Per-step cost of each scheduler on random data of a given shape (the pipeline bench calls it with
 * a 2×4×128×128 latent): setTimesteps(steps), then `steps` steps timed after one untimed warm-up run.
 */
import { createScheduler } from './index.js';
import type { NoiseGenerator } from './types.js';

/** The classes and the variants whose step differs, under the names createScheduler takes. */
const BENCHED = ['ddim', 'ddpm', 'plms', 'lms', 'euler', 'euler_a', 'heun', 'dpmpp_2m', 'dpmpp_2m_karras', 'dpmpp_2m_sde', 'unipc', 'lcm'];

/** Stable Diffusion 1.x's scheduler_config.json. */
const SD_CONFIG = {
  _class_name: 'PNDMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
};

/**
 * Cheap deterministic values in [-1, 1) standing in for the generator: the figures are the
 * schedulers' own arithmetic; torch-exact noise (TorchGenerator) costs extra on the noisy ones.
 */
class BenchNoise implements NoiseGenerator {
  private state = 0x9e3779b9;

  randn(shape: readonly number[]): Float32Array {
    const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < out.length; i++) {
      this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
      out[i] = this.state / 2 ** 31 - 1;
    }
    return out;
  }
}

/** One full run of `steps` steps; the mean milliseconds per timestep entry in scaleModelInput() + step(). */
function run(name: string, length: number, steps: number, noise: BenchNoise): number {
  const s = createScheduler(name, SD_CONFIG);
  s.setTimesteps(name === 'lcm' ? Math.min(steps, 50) : steps);
  let sample = noise.randn([length]);
  const modelOutput = noise.randn([length]);
  let spent = 0;
  for (const t of s.timesteps) {
    const started = performance.now();
    // As the pipeline does: the scaled copy feeds the UNet, step() gets the unscaled latents.
    s.scaleModelInput(sample, t);
    sample = s.step(modelOutput, t, sample, noise).prevSample;
    spent += performance.now() - started;
  }
  return spent / s.timesteps.length;
}

export async function benchSchedulers(shape: number[], steps: number): Promise<Array<{ name: string; msPerStep: number }>> {
  const length = shape.reduce((a, b) => a * b, 1);
  const noise = new BenchNoise();
  const results: Array<{ name: string; msPerStep: number }> = [];
  for (const name of BENCHED) {
    run(name, length, steps, noise); // warm-up: lets the JIT settle before the timed run
    results.push({ name, msPerStep: run(name, length, steps, noise) });
    // Yield between schedulers so a bench run does not starve the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}
