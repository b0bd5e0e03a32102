/**
 * Whole-image GroupNorm statistics for the GroupNorm-statistics variant of a VAE half
 * (onnx-rewrite/group-norm-stats.ts): the feeds that hand them to a run, and their accumulation
 * from the per-tile sums the variant reports, in float64.
 */
import { BridgeError } from '@latent-bridge/shared';
import { GN_ALPHA_INPUT, GN_BOX_INPUT, gnMeanInput, gnSumsOutput, gnVarInput } from '../../onnx-rewrite/group-norm-stats.js';
import type { FeedValue, OnnxModel, OutputTensor } from '../../runtime/index.js';

/** Mean and (biased) variance per group of every GroupNorm, in graph order. */
export interface GroupStats {
  readonly mean: readonly Float32Array[];
  readonly variance: readonly Float32Array[];
}

/** How many GroupNorms the variant has (its gn<k>_mean inputs). */
export function groupNormCount(model: OnnxModel): number {
  let k = 0;
  while (model.input(gnMeanInput(k)) !== undefined) k++;
  if (k === 0) throw new BridgeError('model_invalid', `${model.label}: not a GroupNorm-statistics variant (no ${gnMeanInput(0)} input)`, model.path);
  return k;
}

/** Feeds for the statistics inputs: given stats (α = 1), or none (α = 0: each run's own, as the original). */
export function statsFeeds(count: number, stats: GroupStats | undefined, box: readonly [number, number, number, number]): Record<string, FeedValue> {
  const feeds: Record<string, FeedValue> = {
    [GN_ALPHA_INPUT]: { data: new Float32Array([stats === undefined ? 0 : 1]), dims: [1] },
    [GN_BOX_INPUT]: { data: BigInt64Array.from(box, (v) => BigInt(v)), dims: [4] },
  };
  for (let k = 0; k < count; k++) {
    const mean = stats?.mean[k] ?? new Float32Array(1);
    const variance = stats?.variance[k] ?? new Float32Array(1);
    feeds[gnMeanInput(k)] = { data: mean, dims: [mean.length] };
    feeds[gnVarInput(k)] = { data: variance, dims: [variance.length] };
  }
  return feeds;
}

/** Sums of (x − shift), (x − shift)² and counts per group, added over tiles. */
export class StatsAccumulator {
  private readonly s1: Float64Array[] = [];
  private readonly s2: Float64Array[] = [];
  private readonly n: Float64Array[] = [];

  constructor(
    private readonly count: number,
    /** The mean each run was given (and shifted by); undefined when runs were given none (shift 0). */
    private readonly shift: GroupStats | undefined,
  ) {}

  add(outputs: Readonly<Record<string, OutputTensor>>, label: string): void {
    for (let k = 0; k < this.count; k++) {
      const sums = outputs[gnSumsOutput(k)];
      const groups = sums?.dims[1];
      if (sums === undefined || groups === undefined || sums.dims[0] !== 3) {
        throw new BridgeError('tensor_mismatch', `${label}: output ${gnSumsOutput(k)} missing or not [3, groups]`, label);
      }
      const data = sums.data as Float32Array;
      if (this.s1[k] === undefined) {
        this.s1[k] = new Float64Array(groups);
        this.s2[k] = new Float64Array(groups);
        this.n[k] = new Float64Array(groups);
      }
      const s1 = this.s1[k] as Float64Array;
      const s2 = this.s2[k] as Float64Array;
      const n = this.n[k] as Float64Array;
      for (let g = 0; g < groups; g++) {
        s1[g] = (s1[g] as number) + (data[g] as number);
        s2[g] = (s2[g] as number) + (data[groups + g] as number);
        n[g] = (n[g] as number) + (data[2 * groups + g] as number);
      }
    }
  }

  stats(): GroupStats {
    const mean: Float32Array[] = [];
    const variance: Float32Array[] = [];
    for (let k = 0; k < this.count; k++) {
      const s1 = this.s1[k];
      const s2 = this.s2[k];
      const n = this.n[k];
      if (s1 === undefined || s2 === undefined || n === undefined) throw new RangeError(`no sums for GroupNorm ${k}`);
      const shift = this.shift?.mean[k];
      const m = new Float32Array(s1.length);
      const v = new Float32Array(s1.length);
      for (let g = 0; g < s1.length; g++) {
        const count = n[g] as number;
        const d = (s1[g] as number) / count;
        m[g] = (shift === undefined || shift.length !== s1.length ? 0 : (shift[g] as number)) + d;
        v[g] = Math.max(0, (s2[g] as number) / count - d * d);
      }
      mean.push(m);
      variance.push(v);
    }
    return { mean, variance };
  }
}
