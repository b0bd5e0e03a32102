/**
 * A1111's samplers and schedule types (modules/sd_samplers_kdiffusion.py, sd_samplers_timesteps.py,
 * sd_samplers_lcm.py, sd_schedulers.py, v1.10) mapped to our diffusers-style schedulers. Only what we
 * run is offered by /samplers and /schedulers; a name A1111 knows but we cannot run, or one neither
 * knows, is refused with A1111's "Sampler not found" (A1111 1.10 itself silently falls back to its
 * first sampler; we answer the caller instead of running something else).
 */
import type { SchedulerConfig } from '../pipeline/schedulers/index.js';
import { httpException } from './errors.js';

export interface A1111Sampler {
  name: string;
  aliases: readonly string[];
  /** A1111's options dict for the sampler, as /samplers lists it. */
  options: Readonly<Record<string, string | boolean>>;
  /** Our scheduler: diffusers class and the config keys that make it this sampler. */
  className: string;
  overrides: SchedulerConfig;
  /** Schedule types (A1111 scheduler names) this sampler runs with besides automatic/uniform. */
  sigmaSchedules: readonly ScheduleName[];
}

export type ScheduleName = 'automatic' | 'uniform' | 'karras' | 'exponential';

export interface A1111Schedule {
  name: ScheduleName;
  label: string;
  aliases: readonly string[] | null;
  default_rho: number;
  need_inner_model: boolean;
}

const SIGMA = ['karras', 'exponential'] as const;

export const SAMPLERS: readonly A1111Sampler[] = [
  {
    name: 'DPM++ 2M',
    aliases: ['k_dpmpp_2m'],
    options: { scheduler: 'karras' },
    className: 'DPMSolverMultistepScheduler',
    overrides: { algorithm_type: 'dpmsolver++', solver_order: 2 },
    sigmaSchedules: SIGMA,
  },
  {
    name: 'DPM++ 2M SDE',
    aliases: ['k_dpmpp_2m_sde'],
    options: { scheduler: 'exponential', brownian_noise: true },
    className: 'DPMSolverMultistepScheduler',
    overrides: { algorithm_type: 'sde-dpmsolver++', solver_order: 2 },
    sigmaSchedules: SIGMA,
  },
  {
    name: 'Euler a',
    aliases: ['k_euler_a', 'k_euler_ancestral'],
    options: { uses_ensd: true },
    className: 'EulerAncestralDiscreteScheduler',
    overrides: {},
    sigmaSchedules: [],
  },
  { name: 'Euler', aliases: ['k_euler'], options: {}, className: 'EulerDiscreteScheduler', overrides: {}, sigmaSchedules: SIGMA },
  { name: 'LMS', aliases: ['k_lms'], options: {}, className: 'LMSDiscreteScheduler', overrides: {}, sigmaSchedules: SIGMA },
  { name: 'Heun', aliases: ['k_heun'], options: { second_order: true }, className: 'HeunDiscreteScheduler', overrides: {}, sigmaSchedules: SIGMA },
  { name: 'DDIM', aliases: ['ddim'], options: {}, className: 'DDIMScheduler', overrides: {}, sigmaSchedules: [] },
  { name: 'PLMS', aliases: ['plms'], options: {}, className: 'PNDMScheduler', overrides: { skip_prk_steps: true }, sigmaSchedules: [] },
  { name: 'UniPC', aliases: ['unipc'], options: {}, className: 'UniPCMultistepScheduler', overrides: {}, sigmaSchedules: [] },
  { name: 'LCM', aliases: ['k_lcm'], options: {}, className: 'LCMScheduler', overrides: {}, sigmaSchedules: [] },
];

export const SCHEDULES: readonly A1111Schedule[] = [
  { name: 'automatic', label: 'Automatic', aliases: null, default_rho: -1, need_inner_model: false },
  { name: 'uniform', label: 'Uniform', aliases: null, default_rho: -1, need_inner_model: true },
  { name: 'karras', label: 'Karras', aliases: null, default_rho: 7.0, need_inner_model: false },
  { name: 'exponential', label: 'Exponential', aliases: null, default_rho: -1, need_inner_model: false },
];

/** Every schedule A1111 1.10 knows, for reading legacy sampler names like "DPM++ 2M Karras". */
const A1111_SCHEDULE_NAMES: ReadonlyArray<readonly [string, string[]]> = [
  ['automatic', ['Automatic']],
  ['uniform', ['Uniform']],
  ['karras', ['Karras']],
  ['exponential', ['Exponential']],
  ['polyexponential', ['Polyexponential']],
  ['sgm_uniform', ['SGM Uniform', 'SGMUniform']],
  ['kl_optimal', ['KL Optimal']],
  ['align_your_steps', ['Align Your Steps']],
  ['simple', ['Simple']],
  ['normal', ['Normal']],
  ['ddim', ['DDIM']],
  ['beta', ['Beta']],
];

/** A sampler and schedule resolved for a run: our scheduler config and the labels A1111 writes. */
export interface ResolvedSampler {
  sampler: A1111Sampler;
  /** The schedule actually used (automatic resolved to the sampler's default). */
  schedule: ScheduleName;
  /** "Schedule type" as A1111's infotext writes it. */
  scheduleLabel: string;
  className: string;
  overrides: SchedulerConfig;
}

function findSchedule(name: string): { name: string; labels: string[] } | undefined {
  for (const [key, labels] of A1111_SCHEDULE_NAMES) {
    if (key === name || labels.includes(name)) return { name: key, labels: [key, ...labels] };
  }
  return undefined;
}

/**
 * A1111's get_sampler_and_scheduler: a legacy name with a schedule suffix ("DPM++ 2M Karras") is
 * split into sampler and schedule, an alias (k_euler_a) or lower-case name finds its sampler, and
 * the schedule field (name or label) wins over the suffix. Unknown sampler → 400 "Sampler not
 * found" (A1111's validate_sampler_name); a schedule we cannot run → 400 "Scheduler not found".
 */
export function resolveSampler(samplerName: string | undefined, scheduleName: string | undefined): ResolvedSampler {
  // Neither sampler_name nor sampler_index: A1111 1.10 takes its first sampler.
  let name = samplerName === undefined || samplerName === '' ? (SAMPLERS[0] as A1111Sampler).name : samplerName;
  let suffix: string | undefined;
  for (const [key, labels] of A1111_SCHEDULE_NAMES) {
    const hit = [key, ...labels].find((l) => name.endsWith(` ${l}`));
    if (hit !== undefined) {
      suffix = key;
      name = name.slice(0, -(hit.length + 1));
      break;
    }
  }
  const lower = name.toLowerCase();
  const sampler = SAMPLERS.find((s) => s.name === name) ?? SAMPLERS.find((s) => s.name.toLowerCase() === lower || s.aliases.includes(lower));
  if (sampler === undefined) throw httpException(400, 'Sampler not found');
  let schedule: string = 'automatic';
  if (scheduleName !== undefined && scheduleName !== '') {
    const known = findSchedule(scheduleName);
    if (known === undefined) throw httpException(400, 'Scheduler not found');
    schedule = known.name;
  } else if (suffix !== undefined) {
    schedule = suffix;
  }
  const automatic = schedule === 'automatic';
  const effective = automatic ? (typeof sampler.options['scheduler'] === 'string' ? sampler.options['scheduler'] : 'automatic') : schedule;
  if (effective !== 'automatic' && effective !== 'uniform' && !(sampler.sigmaSchedules as readonly string[]).includes(effective)) {
    throw httpException(400, `Scheduler not found: ${sampler.name} runs with ${['Automatic', 'Uniform', ...sampler.sigmaSchedules.map(labelOf)].join(', ')} on this server`);
  }
  const overrides: SchedulerConfig = { ...sampler.overrides };
  if (effective === 'karras') overrides['use_karras_sigmas'] = true;
  if (effective === 'exponential') overrides['use_exponential_sigmas'] = true;
  return {
    sampler,
    schedule: effective as ScheduleName,
    scheduleLabel: labelOf(effective),
    className: sampler.className,
    overrides,
  };
}

function labelOf(name: string): string {
  return SCHEDULES.find((s) => s.name === name)?.label ?? 'Automatic';
}
