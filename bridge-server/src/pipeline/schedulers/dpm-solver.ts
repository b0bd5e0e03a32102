/**
 * diffusers' DPMSolverMultistepScheduler: DPM-Solver(++) of order 1–3 (Lu et al. 2022) and its SDE
 * variant (DPM++ 2M SDE), on a sigma schedule that may be Karras, Lu or exponential.
 */
import { requireGenerator, sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader, configError, notSupported } from './config.js';
import { f32 } from './numeric.js';
import { buildMultistepPlan, MultistepScheduler, type SigmaRespacing } from './multistep-base.js';
import type { NoiseGenerator, SchedulerConfig, StepResult } from './types.js';

const ALGORITHMS = ['dpmsolver', 'dpmsolver++', 'sde-dpmsolver', 'sde-dpmsolver++'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

export type DpmSolverConfig = BaseConfig & {
  readonly solver_order: number;
  readonly algorithm_type: Algorithm;
  readonly solver_type: 'midpoint' | 'heun';
  readonly lower_order_final: boolean;
  readonly euler_at_final: boolean;
  readonly use_karras_sigmas: boolean;
  readonly use_exponential_sigmas: boolean;
  readonly use_lu_lambdas: boolean;
  readonly final_sigmas_type: 'zero' | 'sigma_min';
  readonly lambda_min_clipped: number;
};

export function readDpmSolverConfig(raw: SchedulerConfig): DpmSolverConfig {
  const r = new ConfigReader(raw);
  r.noThresholding();
  r.refuse('use_beta_sigmas', 'beta sigmas');
  r.refuse('use_flow_sigmas', 'flow-matching sigmas');
  // Only the learned variances change DPM-Solver (they split a 2·C-channel output); a DDPM config's
  // fixed_small and the like are ignored, as diffusers ignores them.
  const variance = raw['variance_type'];
  if (variance === 'learned' || variance === 'learned_range') throw notSupported('variance_type', variance);
  // from_config of a DEIS/UniPC config: diffusers maps their algorithm and solver names to its defaults.
  const algorithm = r.oneOf('algorithm_type', 'dpmsolver++', [...ALGORITHMS, 'deis'] as const);
  const solver = r.oneOf('solver_type', 'midpoint', ['midpoint', 'heun', 'logrho', 'bh1', 'bh2'] as const);
  const config: DpmSolverConfig = {
    ...r.base(),
    solver_order: r.number('solver_order', 2, { integer: true, min: 1, max: 3 }),
    algorithm_type: algorithm === 'deis' ? 'dpmsolver++' : algorithm,
    solver_type: solver === 'midpoint' || solver === 'heun' ? solver : 'midpoint',
    lower_order_final: r.boolean('lower_order_final', true),
    euler_at_final: r.boolean('euler_at_final', false),
    use_karras_sigmas: r.boolean('use_karras_sigmas', false),
    use_exponential_sigmas: r.boolean('use_exponential_sigmas', false),
    use_lu_lambdas: r.boolean('use_lu_lambdas', false),
    final_sigmas_type: r.oneOf('final_sigmas_type', 'zero', ['zero', 'sigma_min'] as const),
    lambda_min_clipped: r.number('lambda_min_clipped', Number.NEGATIVE_INFINITY, { infinite: true }),
  };
  if ([config.use_karras_sigmas, config.use_exponential_sigmas, config.use_lu_lambdas].filter(Boolean).length > 1) {
    throw configError('use_karras_sigmas', 'only one of use_karras_sigmas, use_exponential_sigmas, use_lu_lambdas may be set');
  }
  if (!config.algorithm_type.endsWith('++') && config.final_sigmas_type === 'zero') {
    throw configError('final_sigmas_type', `zero is not supported with algorithm_type ${config.algorithm_type}; use sigma_min`);
  }
  if (config.algorithm_type.startsWith('sde') && config.solver_order === 3) {
    throw configError('solver_order', '3 is not supported with the SDE algorithms');
  }
  return config;
}

export class DpmSolverMultistepScheduler extends MultistepScheduler<DpmSolverConfig> {
  readonly className = 'DPMSolverMultistepScheduler';

  constructor(raw: SchedulerConfig) {
    const config = readDpmSolverConfig(raw);
    super(config, makeAlphasCumprod(config, true));
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    const c = this.config;
    // lambda_min_clipped cuts the schedule where λ(t) falls below it (the cosine schedule's tail).
    let clipped = 0;
    for (let t = c.num_train_timesteps - 1; t >= 0; t--) {
      const a = this.alphasCumprod[t] as number;
      const lambda = f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
      if (lambda < c.lambda_min_clipped) clipped++;
      else break;
    }
    const respacing: SigmaRespacing = c.use_karras_sigmas ? 'karras' : c.use_lu_lambdas ? 'lu' : c.use_exponential_sigmas ? 'exponential' : 'none';
    const roundRespaced = respacing !== 'exponential' && c.beta_schedule !== 'squaredcos_cap_v2';
    const plan = buildMultistepPlan(c, this.trainSigmas, this.logTrainSigmas, n, c.num_train_timesteps - clipped, respacing, roundRespaced);
    const last = c.final_sigmas_type === 'sigma_min' ? (this.trainSigmas[0] as number) : 0;
    this.installPlan(plan, last, c.solver_order);
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, generator?: NoiseGenerator): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const c = this.config;
    const i = this.currentStepIndex(t, 'last');
    const count = this.timesteps.length;
    const lowerFinal = i === count - 1 && (c.euler_at_final || (c.lower_order_final && count < 15) || c.final_sigmas_type === 'zero');
    const lowerSecond = i === count - 2 && c.lower_order_final && count < 15;

    const toData = c.algorithm_type.endsWith('++');
    this.pushModelOutput(this.convert(modelOutput, sample, this.sigmaAt(i), toData));
    const noise = c.algorithm_type.startsWith('sde') ? requireGenerator(generator, this.className).randn([sample.length]) : null;

    let prev: Float32Array;
    if (c.solver_order === 1 || this.lowerOrderNums < 1 || lowerFinal) prev = this.firstOrder(i, sample, noise);
    else if (c.solver_order === 2 || this.lowerOrderNums < 2 || lowerSecond) prev = this.secondOrder(i, sample, noise);
    else prev = this.thirdOrder(i, sample);

    if (this.lowerOrderNums < c.solver_order) this.lowerOrderNums++;
    this.stepIndex = i + 1;
    return { prevSample: prev };
  }

  /** α, σ, λ at schedule index k. */
  private at(k: number): { alpha: number; sigma: number; lambda: number } {
    const s = this.sigmaAt(k);
    const [alpha, sigma] = this.alphaSigma(s);
    return { alpha, sigma, lambda: this.lambdaOf(s) };
  }

  /** x_t = cs·x + c0·m0 + c1·d1 (+ cn·noise), elementwise. */
  private combine(x: Float32Array, cs: number, c0: number, m0: Float32Array, c1: number, d1: Float32Array | null, cn: number, noise: Float32Array | null): Float32Array {
    const out = new Float32Array(x.length);
    for (let k = 0; k < out.length; k++) {
      let v = cs * (x[k] as number) + c0 * (m0[k] as number);
      if (d1) v += c1 * (d1[k] as number);
      if (noise) v += cn * (noise[k] as number);
      out[k] = v;
    }
    return out;
  }

  private firstOrder(i: number, x: Float32Array, noise: Float32Array | null): Float32Array {
    const t = this.at(i + 1);
    const s = this.at(i);
    const h = f32(t.lambda - s.lambda);
    const m = this.history(1);
    switch (this.config.algorithm_type) {
      case 'dpmsolver++':
        return this.combine(x, f32(t.sigma / s.sigma), -f32(t.alpha * f32(f32(Math.exp(-h)) - 1)), m, 0, null, 0, null);
      case 'dpmsolver':
        return this.combine(x, f32(t.alpha / s.alpha), -f32(t.sigma * f32(f32(Math.exp(h)) - 1)), m, 0, null, 0, null);
      case 'sde-dpmsolver++': {
        const e2 = f32(Math.exp(f32(-2 * h)));
        const cs = f32(f32(t.sigma / s.sigma) * f32(Math.exp(-h)));
        return this.combine(x, cs, f32(t.alpha * f32(1 - e2)), m, 0, null, f32(t.sigma * f32(Math.sqrt(f32(1 - e2)))), noise);
      }
      case 'sde-dpmsolver': {
        const e2 = f32(Math.exp(f32(2 * h)));
        return this.combine(x, f32(t.alpha / s.alpha), -f32(2 * f32(t.sigma * f32(f32(Math.exp(h)) - 1))), m, 0, null, f32(t.sigma * f32(Math.sqrt(f32(e2 - 1)))), noise);
      }
    }
  }

  private secondOrder(i: number, x: Float32Array, noise: Float32Array | null): Float32Array {
    const t = this.at(i + 1);
    const s0 = this.at(i);
    const s1 = this.at(i - 1);
    const m0 = this.history(1);
    const m1 = this.history(2);
    const h = f32(t.lambda - s0.lambda);
    const r0 = f32(f32(s0.lambda - s1.lambda) / h);
    const invR0 = f32(1 / r0);
    const d1 = new Float32Array(x.length);
    for (let k = 0; k < d1.length; k++) d1[k] = invR0 * f32((m0[k] as number) - (m1[k] as number));
    const midpoint = this.config.solver_type === 'midpoint';
    const eh = f32(Math.exp(h));
    const emh = f32(Math.exp(-h));
    switch (this.config.algorithm_type) {
      case 'dpmsolver++': {
        const a = f32(t.alpha * f32(emh - 1));
        const c1 = midpoint ? -f32(0.5 * a) : f32(t.alpha * f32(f32(f32(emh - 1) / h) + 1));
        return this.combine(x, f32(t.sigma / s0.sigma), -a, m0, c1, d1, 0, null);
      }
      case 'dpmsolver': {
        const a = f32(t.sigma * f32(eh - 1));
        const c1 = midpoint ? -f32(0.5 * a) : -f32(t.sigma * f32(f32(f32(eh - 1) / h) - 1));
        return this.combine(x, f32(t.alpha / s0.alpha), -a, m0, c1, d1, 0, null);
      }
      case 'sde-dpmsolver++': {
        const e2 = f32(Math.exp(f32(-2 * h)));
        const a = f32(t.alpha * f32(1 - e2));
        const c1 = midpoint ? f32(0.5 * a) : f32(t.alpha * f32(f32(f32(1 - e2) / f32(-2 * h)) + 1));
        const cs = f32(f32(t.sigma / s0.sigma) * emh);
        return this.combine(x, cs, a, m0, c1, d1, f32(t.sigma * f32(Math.sqrt(f32(1 - e2)))), noise);
      }
      case 'sde-dpmsolver': {
        const a = f32(t.sigma * f32(eh - 1));
        const c1 = midpoint ? -a : -f32(2 * f32(t.sigma * f32(f32(f32(eh - 1) / h) - 1)));
        const cn = f32(t.sigma * f32(Math.sqrt(f32(f32(Math.exp(f32(2 * h))) - 1))));
        return this.combine(x, f32(t.alpha / s0.alpha), -f32(2 * a), m0, c1, d1, cn, noise);
      }
    }
  }

  private thirdOrder(i: number, x: Float32Array): Float32Array {
    const t = this.at(i + 1);
    const s0 = this.at(i);
    const s1 = this.at(i - 1);
    const s2 = this.at(i - 2);
    const [m0, m1, m2] = [this.history(1), this.history(2), this.history(3)];
    const h = f32(t.lambda - s0.lambda);
    const r0 = f32(f32(s0.lambda - s1.lambda) / h);
    const r1 = f32(f32(s1.lambda - s2.lambda) / h);
    const [i0, i1, w, i01] = [f32(1 / r0), f32(1 / r1), f32(r0 / f32(r0 + r1)), f32(1 / f32(r0 + r1))];
    const plus = this.config.algorithm_type === 'dpmsolver++';
    const e = f32(Math.exp(plus ? -h : h));
    const [cs, c0, c1, c2] = plus
      ? [f32(t.sigma / s0.sigma), -f32(t.alpha * f32(e - 1)), f32(t.alpha * f32(f32(f32(e - 1) / h) + 1)), -f32(t.alpha * f32(f32(f32(f32(e - 1) + h) / f32(h * h)) - 0.5))]
      : [f32(t.alpha / s0.alpha), -f32(t.sigma * f32(e - 1)), -f32(t.sigma * f32(f32(f32(e - 1) / h) - 1)), -f32(t.sigma * f32(f32(f32(f32(e - 1) - h) / f32(h * h)) - 0.5))];
    const out = new Float32Array(x.length);
    for (let k = 0; k < out.length; k++) {
      const a = m0[k] as number;
      const d10 = f32(i0 * f32(a - (m1[k] as number)));
      const d11 = f32(i1 * f32((m1[k] as number) - (m2[k] as number)));
      const d1 = f32(d10 + f32(w * f32(d10 - d11)));
      const d2 = f32(i01 * f32(d10 - d11));
      out[k] = cs * (x[k] as number) + c0 * a + c1 * d1 + c2 * d2;
    }
    return out;
  }
}
