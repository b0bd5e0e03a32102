/**
 * set_timesteps' spacings ("linspace", "leading", "trailing", Table 2 of Lin et al. 2023) in the
 * three shapes diffusers' classes use, plus the sigma-schedule conversions (Karras, exponential,
 * Lu's uniform logSNR) and the sigma → timestep inversion. numpy float64 arithmetic throughout.
 */
import type { BaseConfig } from './config.js';
import { f32, npArange, npLinspace, roundHalfEven } from './numeric.js';

const leadingRamp = (count: number, ratio: number): number[] => Array.from({ length: count }, (_, i) => i * ratio);

/** DDIM and DDPM: integer timesteps, descending (np.int64). */
export function integerTimesteps(config: BaseConfig, n: number): number[] {
  const T = config.num_train_timesteps;
  switch (config.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, T - 1, n).map(roundHalfEven).reverse();
    case 'leading':
      return leadingRamp(n, Math.floor(T / n)).reverse().map((t) => t + config.steps_offset);
    case 'trailing':
      return npArange(T, 0, -T / n).map((t) => roundHalfEven(t) - 1);
  }
}

/** PNDM's `_timesteps`: the same spacings, ascending. */
export function ascendingTimesteps(config: BaseConfig, n: number): number[] {
  const T = config.num_train_timesteps;
  switch (config.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, T - 1, n).map(roundHalfEven);
    case 'leading':
      return leadingRamp(n, Math.floor(T / n)).map((t) => t + config.steps_offset);
    case 'trailing':
      return npArange(T, 0, -T / n).map((t) => roundHalfEven(t) - 1).reverse();
  }
}

/** Euler, Euler ancestral, Heun, LMS: float32 timesteps, descending (linspace ones are fractional). */
export function float32Timesteps(config: BaseConfig, n: number): number[] {
  const T = config.num_train_timesteps;
  switch (config.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, T - 1, n).map(f32).reverse();
    case 'leading':
      return leadingRamp(n, Math.floor(T / n)).reverse().map((t) => f32(t) + config.steps_offset);
    case 'trailing':
      return npArange(T, 0, -T / n).map((t) => roundHalfEven(t) - 1);
  }
}

/**
 * DPMSolverMultistep and UniPC: n + 1 points with the last dropped, below `lastTimestep`
 * (the training length unless DPM's lambda_min_clipped cuts it).
 */
export function multistepTimesteps(config: BaseConfig, n: number, lastTimestep: number): number[] {
  switch (config.timestep_spacing) {
    case 'linspace':
      return npLinspace(0, lastTimestep - 1, n + 1).map(roundHalfEven).reverse().slice(0, n);
    case 'leading': {
      const ratio = Math.floor(lastTimestep / (n + 1));
      return leadingRamp(n + 1, ratio).reverse().slice(0, n).map((t) => t + config.steps_offset);
    }
    case 'trailing':
      return npArange(lastTimestep, 0, -config.num_train_timesteps / n).map((t) => roundHalfEven(t) - 1);
  }
}

/** k-diffusion's Karras et al. (2022) schedule, rho = 7, from sigmaMax down to sigmaMin. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number): number[] {
  const rho = 7.0;
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** Log-uniform sigmas from sigmaMax down to sigmaMin. */
export function exponentialSigmas(sigmaMin: number, sigmaMax: number, n: number): number[] {
  return npLinspace(Math.log(sigmaMax), Math.log(sigmaMin), n).map(Math.exp);
}

/** Lu et al.'s uniform-logSNR schedule (rho = 1) over log sigmas; returns sigmas. */
export function luSigmas(lambdaMin: number, lambdaMax: number, n: number): number[] {
  return npLinspace(0, 1, n).map((r) => Math.exp(lambdaMax + r * (lambdaMin - lambdaMax)));
}

/**
 * diffusers' _sigma_to_t: the fractional training timestep whose log sigma matches, by linear
 * interpolation in log space. `logSigmas` is the float32 array np.log gives for float32 sigmas.
 */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  const last = logSigmas.length - 1;
  // low_idx: the last index whose log sigma does not exceed log_sigma, clipped to len - 2.
  let count = 0;
  for (let i = 0; i <= last; i++) if (logSigma - (logSigmas[i] as number) >= 0) count++;
  let lowIdx = 0;
  if (count > 0) {
    // argmax of the running count: its first maximum sits at the last satisfied index.
    let running = 0;
    for (let i = 0; i <= last; i++) {
      if (logSigma - (logSigmas[i] as number) >= 0) running++;
      if (running === count) {
        lowIdx = i;
        break;
      }
    }
  }
  lowIdx = Math.min(lowIdx, last - 1);
  const low = logSigmas[lowIdx] as number;
  const high = logSigmas[lowIdx + 1] as number;
  // numpy: (float32 - float64) is float64, (float32 - float32) stays float32.
  let w = (low - logSigma) / f32(low - high);
  w = Math.min(Math.max(w, 0), 1);
  return (1 - w) * lowIdx + w * (lowIdx + 1);
}

/** Natural log of float32 sigmas as numpy keeps it: float32. */
export function logSigmasF32(sigmas: Float32Array): Float32Array {
  return sigmas.map((s) => f32(Math.log(s)));
}
