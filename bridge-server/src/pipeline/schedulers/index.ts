/**
 * Scheduler lookup by diffusers class name or short alias. The model's scheduler_config.json
 * supplies the training schedule whatever class it names (diffusers' from_config); an alias may add
 * options on top (dpmpp_2m_karras = DPMSolverMultistep with use_karras_sigmas).
 */
import { BridgeError } from '@latent-bridge/shared';
import { DdimScheduler } from './ddim.js';
import { DdpmScheduler } from './ddpm.js';
import { DpmSolverMultistepScheduler } from './dpm-solver.js';
import { EulerAncestralScheduler } from './euler-ancestral.js';
import { EulerScheduler } from './euler.js';
import { HeunScheduler } from './heun.js';
import { LcmScheduler } from './lcm.js';
import { LmsScheduler } from './lms.js';
import { PndmScheduler } from './pndm.js';
import type { Scheduler, SchedulerConfig } from './types.js';
import { UniPcMultistepScheduler } from './unipc.js';

export type { NoiseGenerator, ResolvedSchedulerConfig, Scheduler, SchedulerConfig, StepResult } from './types.js';
export { img2imgTimesteps } from './types.js';

const CLASSES: Record<string, (config: SchedulerConfig) => Scheduler> = {
  DDIMScheduler: (c) => new DdimScheduler(c),
  DDPMScheduler: (c) => new DdpmScheduler(c),
  PNDMScheduler: (c) => new PndmScheduler(c),
  LMSDiscreteScheduler: (c) => new LmsScheduler(c),
  EulerDiscreteScheduler: (c) => new EulerScheduler(c),
  EulerAncestralDiscreteScheduler: (c) => new EulerAncestralScheduler(c),
  HeunDiscreteScheduler: (c) => new HeunScheduler(c),
  DPMSolverMultistepScheduler: (c) => new DpmSolverMultistepScheduler(c),
  UniPCMultistepScheduler: (c) => new UniPcMultistepScheduler(c),
  LCMScheduler: (c) => new LcmScheduler(c),
};

interface Alias {
  className: string;
  overrides: SchedulerConfig;
}

const ALIASES: Record<string, Alias> = {
  euler: { className: 'EulerDiscreteScheduler', overrides: {} },
  euler_karras: { className: 'EulerDiscreteScheduler', overrides: { use_karras_sigmas: true } },
  euler_a: { className: 'EulerAncestralDiscreteScheduler', overrides: {} },
  ddim: { className: 'DDIMScheduler', overrides: {} },
  ddpm: { className: 'DDPMScheduler', overrides: {} },
  pndm: { className: 'PNDMScheduler', overrides: {} },
  plms: { className: 'PNDMScheduler', overrides: { skip_prk_steps: true } },
  lms: { className: 'LMSDiscreteScheduler', overrides: {} },
  lms_karras: { className: 'LMSDiscreteScheduler', overrides: { use_karras_sigmas: true } },
  heun: { className: 'HeunDiscreteScheduler', overrides: {} },
  dpmpp_2m: { className: 'DPMSolverMultistepScheduler', overrides: { algorithm_type: 'dpmsolver++', solver_order: 2 } },
  dpmpp_2m_karras: {
    className: 'DPMSolverMultistepScheduler',
    overrides: { algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: true },
  },
  dpmpp_2m_sde: { className: 'DPMSolverMultistepScheduler', overrides: { algorithm_type: 'sde-dpmsolver++', solver_order: 2 } },
  dpmpp_2m_sde_karras: {
    className: 'DPMSolverMultistepScheduler',
    overrides: { algorithm_type: 'sde-dpmsolver++', solver_order: 2, use_karras_sigmas: true },
  },
  unipc: { className: 'UniPCMultistepScheduler', overrides: {} },
  lcm: { className: 'LCMScheduler', overrides: {} },
};

/** Every name createScheduler accepts: the diffusers class names, then the aliases. */
export const SCHEDULER_NAMES: readonly string[] = Object.freeze([...Object.keys(CLASSES), ...Object.keys(ALIASES)]);

/** diffusers class name for a name createScheduler accepts, or undefined. */
export function schedulerClassName(name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(CLASSES, name)) return name;
  return Object.prototype.hasOwnProperty.call(ALIASES, name) ? ALIASES[name]?.className : undefined;
}

/**
 * A scheduler named by diffusers class or alias, configured by a scheduler_config.json object (any
 * class's: shared keys are kept, unknown ones ignored). Throws unknown_scheduler for other names and
 * scheduler_config_invalid (with the key as field) for values the class cannot take.
 */
export function createScheduler(name: string, config: SchedulerConfig): Scheduler {
  const alias = Object.prototype.hasOwnProperty.call(ALIASES, name) ? ALIASES[name] : undefined;
  const className = alias?.className ?? name;
  const make = Object.prototype.hasOwnProperty.call(CLASSES, className) ? CLASSES[className] : undefined;
  if (!make) {
    throw new BridgeError('unknown_scheduler', `Unknown scheduler "${name}"; choose one of ${SCHEDULER_NAMES.join(', ')}`, 'scheduler');
  }
  return make(alias ? { ...config, ...alias.overrides } : config);
}
