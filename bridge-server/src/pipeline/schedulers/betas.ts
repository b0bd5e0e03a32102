/**
 * The training noise schedule every scheduler starts from: betas, ᾱ (alphas_cumprod) and the
 * k-diffusion sigmas, in torch float32 exactly as diffusers' constructors build them.
 */
import { f32, sqrtF32, torchCumprodF32, torchLinspaceF32 } from './numeric.js';
import type { BaseConfig } from './config.js';

/** diffusers' betas_for_alpha_bar with the cosine ("squaredcos_cap_v2") transform, max_beta 0.999. */
function cosineBetas(steps: number): Float32Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const out = new Float32Array(steps);
  for (let i = 0; i < steps; i++) {
    // Python evaluates this in double; torch.tensor(..., float32) rounds once at the end.
    out[i] = Math.min(1 - alphaBar((i + 1) / steps) / alphaBar(i / steps), 0.999);
  }
  return out;
}

export function makeBetas(config: BaseConfig): Float32Array {
  const n = config.num_train_timesteps;
  if (config.trained_betas !== null) return Float32Array.from(config.trained_betas);
  switch (config.beta_schedule) {
    case 'linear':
      return torchLinspaceF32(config.beta_start, config.beta_end, n);
    case 'scaled_linear':
      return torchLinspaceF32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n).map((b) => f32(b * b));
    case 'squaredcos_cap_v2':
      return cosineBetas(n);
  }
}

function oneMinus(values: Float32Array): Float32Array {
  return values.map((v) => f32(1 - v));
}

/** diffusers' rescale_zero_terminal_snr (Lin et al. 2023, algorithm 1), float32 throughout. */
export function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const sqrtBar = torchCumprodF32(oneMinus(betas)).map(sqrtF32);
  const first = sqrtBar[0] as number;
  const last = sqrtBar[sqrtBar.length - 1] as number;
  const scale = f32(first / f32(first - last));
  const bar = sqrtBar.map((v) => {
    const shifted = f32(f32(v - last) * scale);
    return f32(shifted * shifted);
  });
  const alphas = new Float32Array(bar.length);
  alphas[0] = bar[0] as number;
  for (let i = 1; i < bar.length; i++) alphas[i] = f32((bar[i] as number) / (bar[i - 1] as number));
  return oneMinus(alphas);
}

/**
 * betas → ᾱ. `zeroSnrFloor`: the sigma-space schedulers replace the final ᾱ = 0 of a zero-SNR
 * schedule with 2^-24 so the first sigma stays finite.
 */
export function makeAlphasCumprod(config: BaseConfig, zeroSnrFloor: boolean): Float32Array {
  let betas = makeBetas(config);
  if (config.rescale_betas_zero_snr) betas = rescaleZeroTerminalSnr(betas);
  const alphasCumprod = torchCumprodF32(oneMinus(betas));
  if (config.rescale_betas_zero_snr && zeroSnrFloor) alphasCumprod[alphasCumprod.length - 1] = 2 ** -24;
  return alphasCumprod;
}

/** σ_t = ((1 - ᾱ_t) / ᾱ_t) ** 0.5 per training timestep, float32. */
export function trainingSigmas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => sqrtF32(f32(f32(1 - a) / a)));
}
