/**
 * Reading a diffusers scheduler_config.json the way `SchedulerClass.from_config` does: each class
 * takes the keys its constructor knows (defaults for the missing ones) and ignores the rest, so a
 * PNDM config can configure an Euler scheduler. Values of the wrong type or outside the supported
 * set are refused with `scheduler_config_invalid` and the key as the field.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { SchedulerConfig } from './types.js';

export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
export const TIMESTEP_SPACINGS = ['linspace', 'leading', 'trailing'] as const;

export type BetaSchedule = (typeof BETA_SCHEDULES)[number];
export type PredictionType = (typeof PREDICTION_TYPES)[number];
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** The keys every scheduler here shares (snake_case as in scheduler_config.json). */
export type BaseConfig = {
  readonly num_train_timesteps: number;
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: BetaSchedule;
  readonly trained_betas: readonly number[] | null;
  readonly prediction_type: PredictionType;
  readonly timestep_spacing: TimestepSpacing;
  readonly steps_offset: number;
  readonly rescale_betas_zero_snr: boolean;
};

/** Class defaults for the shared keys; they differ between diffusers classes. */
export interface BaseDefaults {
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: BetaSchedule;
  timestep_spacing?: TimestepSpacing;
  /** False for the classes without a rescale_betas_zero_snr key (PNDM, LMS, Heun): they ignore it. */
  knowsZeroSnr?: boolean;
}

export function configError(field: string, message: string): BridgeError {
  return new BridgeError('scheduler_config_invalid', `${field}: ${message}`, field);
}

export function notSupported(field: string, what: string): BridgeError {
  return configError(field, `${what} is not supported by latent-bridge's schedulers`);
}

/** Typed access to one raw config object; `null` counts as missing (JSON's None). */
export class ConfigReader {
  constructor(private readonly raw: SchedulerConfig) {}

  private value(key: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.raw, key) ? this.raw[key] : undefined;
  }

  number(key: string, fallback: number, opts: { integer?: boolean; min?: number; max?: number; infinite?: boolean } = {}): number {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || Number.isNaN(v) || (!opts.infinite && !Number.isFinite(v))) {
      throw configError(key, 'must be a finite number');
    }
    if (opts.integer && !Number.isInteger(v)) throw configError(key, 'must be an integer');
    if (opts.min !== undefined && v < opts.min) throw configError(key, `must be ≥ ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) throw configError(key, `must be ≤ ${opts.max}`);
    return v;
  }

  optionalNumber(key: string): number | null {
    const v = this.value(key);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw configError(key, 'must be a positive number');
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw configError(key, 'must be true or false');
    return v;
  }

  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    const v = this.value(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw configError(key, `must be one of ${allowed.join(', ')}; got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  numberList(key: string): readonly number[] | null {
    const v = this.value(key);
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      throw configError(key, 'must be a list of finite numbers');
    }
    return Object.freeze([...(v as number[])]);
  }

  /** The shared keys with this class's defaults; trained_betas must cover every training step. */
  base(defaults: BaseDefaults = {}): BaseConfig {
    const num_train_timesteps = this.number('num_train_timesteps', 1000, { integer: true, min: 1, max: 100_000 });
    const trained_betas = this.numberList('trained_betas');
    if (trained_betas !== null && trained_betas.length !== num_train_timesteps) {
      throw configError('trained_betas', `must have num_train_timesteps (${num_train_timesteps}) values`);
    }
    const beta_start = this.number('beta_start', defaults.beta_start ?? 0.0001, { min: 0, max: 1 });
    const beta_end = this.number('beta_end', defaults.beta_end ?? 0.02, { min: 0, max: 1 });
    return {
      num_train_timesteps,
      beta_start,
      beta_end,
      beta_schedule: this.oneOf('beta_schedule', defaults.beta_schedule ?? 'linear', BETA_SCHEDULES),
      trained_betas,
      prediction_type: this.oneOf('prediction_type', 'epsilon', PREDICTION_TYPES),
      timestep_spacing: this.oneOf('timestep_spacing', defaults.timestep_spacing ?? 'linspace', TIMESTEP_SPACINGS),
      steps_offset: this.number('steps_offset', 0, { integer: true, min: 0 }),
      rescale_betas_zero_snr: defaults.knowsZeroSnr === false ? false : this.boolean('rescale_betas_zero_snr', false),
    };
  }

  /** Refuses `thresholding: true`: Imagen's dynamic thresholding needs the batch dimension we do not carry. */
  noThresholding(): void {
    if (this.boolean('thresholding', false)) throw notSupported('thresholding', 'dynamic thresholding');
  }

  /** Refuses sigma schedules we do not implement (beta sigmas need scipy's beta ppf). */
  refuse(key: string, what: string): void {
    if (this.boolean(key, false)) throw notSupported(key, what);
  }
}
