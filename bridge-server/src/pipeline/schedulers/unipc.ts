/**
 * diffusers' UniPCMultistepScheduler (Zhao et al. 2023): a UniP predictor followed, on the next
 * call, by a UniC corrector that reuses the new model output, B(h) in the bh1 or bh2 variant.
 */
import { sameLength } from './base.js';
import { makeAlphasCumprod } from './betas.js';
import { type BaseConfig, ConfigReader, configError } from './config.js';
import { f32 } from './numeric.js';
import { buildMultistepPlan, MultistepScheduler, type SigmaRespacing } from './multistep-base.js';
import type { SchedulerConfig, StepResult } from './types.js';

export type UniPcConfig = BaseConfig & {
  readonly solver_order: number;
  readonly predict_x0: boolean;
  readonly solver_type: 'bh1' | 'bh2';
  readonly lower_order_final: boolean;
  readonly disable_corrector: readonly number[];
  readonly use_karras_sigmas: boolean;
  readonly use_exponential_sigmas: boolean;
  readonly final_sigmas_type: 'zero' | 'sigma_min';
};

export function readUniPcConfig(raw: SchedulerConfig): UniPcConfig {
  const r = new ConfigReader(raw);
  r.noThresholding();
  r.refuse('use_beta_sigmas', 'beta sigmas');
  r.refuse('use_flow_sigmas', 'flow-matching sigmas');
  // from_config of a DPM-Solver/DEIS config: diffusers maps their solver names to bh2.
  const solver = r.oneOf('solver_type', 'bh2', ['bh1', 'bh2', 'midpoint', 'heun', 'logrho'] as const);
  const config: UniPcConfig = {
    ...r.base(),
    solver_order: r.number('solver_order', 2, { integer: true, min: 1, max: 5 }),
    predict_x0: r.boolean('predict_x0', true),
    solver_type: solver === 'bh1' ? 'bh1' : 'bh2',
    lower_order_final: r.boolean('lower_order_final', true),
    disable_corrector: r.numberList('disable_corrector') ?? [],
    use_karras_sigmas: r.boolean('use_karras_sigmas', false),
    use_exponential_sigmas: r.boolean('use_exponential_sigmas', false),
    final_sigmas_type: r.oneOf('final_sigmas_type', 'zero', ['zero', 'sigma_min'] as const),
  };
  if (config.use_karras_sigmas && config.use_exponential_sigmas) {
    throw configError('use_exponential_sigmas', 'only one of use_karras_sigmas and use_exponential_sigmas may be set');
  }
  return config;
}

/** Solves the small dense system R·x = b (Gaussian elimination with partial pivoting). */
function solve(R: number[][], b: number[]): number[] {
  const n = b.length;
  const a = R.map((row, i) => [...row, b[i] as number]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number)) pivot = r;
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const p = a[col] as number[];
    for (let r = col + 1; r < n; r++) {
      const row = a[r] as number[];
      const factor = (row[col] as number) / (p[col] as number);
      for (let k = col; k <= n; k++) row[k] = (row[k] as number) - factor * (p[k] as number);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = a[r] as number[];
    let acc = row[n] as number;
    for (let k = r + 1; k < n; k++) acc -= (row[k] as number) * (x[k] as number);
    x[r] = acc / (row[r] as number);
  }
  return x.map(f32);
}

export class UniPcMultistepScheduler extends MultistepScheduler<UniPcConfig> {
  readonly className = 'UniPCMultistepScheduler';
  private lastSample: Float32Array | null = null;
  private thisOrder = 1;

  constructor(raw: SchedulerConfig) {
    const config = readUniPcConfig(raw);
    super(config, makeAlphasCumprod(config, true));
  }

  setTimesteps(n: number): void {
    this.checkSteps(n);
    const c = this.config;
    const respacing: SigmaRespacing = c.use_karras_sigmas ? 'karras' : c.use_exponential_sigmas ? 'exponential' : 'none';
    const plan = buildMultistepPlan(c, this.trainSigmas, this.logTrainSigmas, n, c.num_train_timesteps, respacing, respacing === 'karras');
    // With a re-spaced schedule "sigma_min" means its own last sigma, otherwise the training minimum.
    const sigmaMin = respacing === 'none' ? (this.trainSigmas[0] as number) : (plan.sigmas[plan.sigmas.length - 1] as number);
    this.installPlan(plan, c.final_sigmas_type === 'sigma_min' ? sigmaMin : 0, c.solver_order);
    this.lastSample = null;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): StepResult {
    this.requireTimesteps();
    sameLength(sample, modelOutput, 'modelOutput');
    const c = this.config;
    const i = this.currentStepIndex(t, 'last');
    const useCorrector = i > 0 && !c.disable_corrector.includes(i - 1) && this.lastSample !== null;
    const converted = this.convert(modelOutput, sample, this.sigmaAt(i), c.predict_x0);
    let x = sample;
    if (useCorrector) x = this.update(i, this.lastSample as Float32Array, this.thisOrder, converted);
    this.pushModelOutput(converted);

    const wanted = c.lower_order_final ? Math.min(c.solver_order, this.timesteps.length - i) : c.solver_order;
    this.thisOrder = Math.min(wanted, this.lowerOrderNums + 1);
    this.lastSample = x;
    const prev = this.update(i + 1, x, this.thisOrder, null);
    if (this.lowerOrderNums < c.solver_order) this.lowerOrderNums++;
    this.stepIndex = i + 1;
    return { prevSample: prev };
  }

  /**
   * One B(h) update from schedule index `target - 1` to `target` of order `order`: the predictor
   * (UniP) when `modelT` is null, the corrector (UniC) using the model output at `target` otherwise.
   * For the corrector the history's newest entry is the output at `target - 1`.
   */
  private update(target: number, x: Float32Array, order: number, modelT: Float32Array | null): Float32Array {
    const corrector = modelT !== null;
    const sigmaT = this.sigmaAt(target);
    const sigmaS0 = this.sigmaAt(target - 1);
    const [alphaT, sT] = this.alphaSigma(sigmaT);
    const [alphaS0, sS0] = this.alphaSigma(sigmaS0);
    const lambdaS0 = this.lambdaOf(sigmaS0);
    const h = f32(this.lambdaOf(sigmaT) - lambdaS0);
    const m0 = this.history(1);

    const rks: number[] = [];
    const d1s: Float32Array[] = [];
    for (let k = 1; k < order; k++) {
      const si = target - 1 - k;
      const rk = f32(f32(this.lambdaOf(this.sigmaAt(si)) - lambdaS0) / h);
      const mi = this.history(k + 1);
      rks.push(rk);
      const d = new Float32Array(m0.length);
      for (let j = 0; j < d.length; j++) d[j] = f32((mi[j] as number) - (m0[j] as number)) / rk;
      d1s.push(d);
    }
    rks.push(1);

    const x0Mode = this.config.predict_x0;
    const hh = x0Mode ? -h : h;
    const hPhi1 = f32(Math.expm1(hh));
    let hPhiK = f32(f32(hPhi1 / hh) - 1);
    let factorial = 1;
    const bH = this.config.solver_type === 'bh1' ? hh : f32(Math.expm1(hh));
    const R: number[][] = [];
    const b: number[] = [];
    for (let k = 1; k <= order; k++) {
      R.push(rks.map((r) => f32(r ** (k - 1))));
      b.push(f32(f32(hPhiK * factorial) / bH));
      factorial *= k + 1;
      hPhiK = f32(f32(hPhiK / hh) - f32(1 / factorial));
    }

    let rhos: number[];
    if (!corrector) rhos = order === 2 ? [0.5] : order > 2 ? solve(R.slice(0, -1).map((row) => row.slice(0, -1)), b.slice(0, -1)) : [];
    else rhos = order === 1 ? [0.5] : solve(R, b);

    const cx = x0Mode ? f32(sT / sS0) : f32(alphaT / alphaS0);
    const scale = x0Mode ? alphaT : sT;
    const cm = -f32(scale * hPhi1);
    const cb = f32(scale * bH);
    const out = new Float32Array(x.length);
    for (let j = 0; j < out.length; j++) {
      const m = m0[j] as number;
      let res = 0;
      for (let k = 0; k < d1s.length; k++) res += (rhos[k] as number) * ((d1s[k] as Float32Array)[j] as number);
      if (corrector) res += (rhos[rhos.length - 1] as number) * f32(((modelT as Float32Array)[j] as number) - m);
      out[j] = cx * (x[j] as number) + cm * m - cb * res;
    }
    return out;
  }
}
