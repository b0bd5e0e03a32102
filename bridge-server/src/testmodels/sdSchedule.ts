/**
 * Stable Diffusion's training noise schedule (scaled_linear betas 0.00085..0.012, 1000 steps),
 * reproduced the way diffusers computes it in torch float32 on CPU: linspace of the square
 * roots in float32, squared, then a cumulative product accumulated in double and stored in float32.
 */

const TRAIN_STEPS = 1000;
const BETA_START = 0.00085;
const BETA_END = 0.012;

let cachedAlphas: Float32Array | undefined;
let cachedSigmas: Float32Array | undefined;

/** ᾱ_i for i = 0..999, float32. */
export function sdAlphasCumprod(): Float32Array {
  if (cachedAlphas !== undefined) return cachedAlphas;
  const f = Math.fround;
  const start = f(Math.sqrt(BETA_START));
  const end = f(Math.sqrt(BETA_END));
  const step = f(f(end - start) / (TRAIN_STEPS - 1));
  const halfway = TRAIN_STEPS / 2;
  const out = new Float32Array(TRAIN_STEPS);
  let product = 1;
  for (let i = 0; i < TRAIN_STEPS; i++) {
    // torch.linspace fills the second half backwards from `end` to keep it exact there.
    const root = i < halfway ? f(start + f(step * i)) : f(end - f(step * (TRAIN_STEPS - 1 - i)));
    const beta = f(root * root);
    product *= f(1 - beta);
    out[i] = product;
  }
  cachedAlphas = out;
  return out;
}

/** σ_i = sqrt((1 - ᾱ_i) / ᾱ_i), float32, as the k-diffusion style schedulers build it. */
export function sdTrainingSigmas(): Float32Array {
  if (cachedSigmas !== undefined) return cachedSigmas;
  const f = Math.fround;
  cachedSigmas = Float32Array.from(sdAlphasCumprod(), (a) => f(Math.sqrt(f(f(1 - a) / a))));
  return cachedSigmas;
}

/** σ(t) for a fractional timestep: linear interpolation between floor(t) and ceil(t), t clamped to [0, 999]. */
export function sigmaAt(timestep: number): number {
  const sigmas = sdTrainingSigmas();
  const t = Math.min(TRAIN_STEPS - 1, Math.max(0, timestep));
  const lo = Math.floor(t);
  const hi = Math.ceil(t);
  const sLo = sigmas[lo] ?? 0;
  const sHi = sigmas[hi] ?? 0;
  return sLo + (t - lo) * (sHi - sLo);
}
