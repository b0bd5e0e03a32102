/**
 * The passes every tiled VAE run makes, decoder or encoder alike: a downscaled whole-image run that
 * estimates the GroupNorm statistics, refinement passes that collect them over every tile's core,
 * and the pass that hands each tile's output (made with those statistics) to a sink that blends.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { OnnxModel, OutputTensor } from '../../runtime/index.js';
import { groupNormCount, StatsAccumulator, statsFeeds, type GroupStats } from './gn-stats.js';
import { cropPlanes, downscalePlanes, type Planes } from './planes.js';
import { planAxis, type AxisTile } from './tile-plan.js';
import type { VaeTilingOptions } from './tiling-options.js';

export interface TileJob {
  readonly model: OnnxModel;
  readonly inputName: string;
  readonly outputName: string;
  /** The whole input, CHW. */
  readonly input: Planes;
  /** Input pixels per latent pixel: 1 for the decoder, 8 for the encoder. */
  readonly inputScale: number;
  readonly options: VaeTilingOptions;
  readonly signal?: AbortSignal | undefined;
}

export interface TileGrid {
  readonly rows: readonly AxisTile[];
  readonly cols: readonly AxisTile[];
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BridgeError('cancelled', 'The job was cancelled.');
}

export function planGrid(job: TileJob): TileGrid {
  const h = job.input.height / job.inputScale;
  const w = job.input.width / job.inputScale;
  return { rows: planAxis(h, job.options), cols: planAxis(w, job.options) };
}

async function run(job: TileJob, input: Planes, stats: GroupStats | undefined, box: [number, number, number, number], count: number): Promise<Record<string, OutputTensor>> {
  checkAbort(job.signal);
  return job.model.run({
    [job.inputName]: { data: input.data, dims: [1, input.channels, input.height, input.width] },
    ...statsFeeds(count, stats, box),
  });
}

/** The input box-downscaled to h × w latent pixels (the input itself at its own size). */
function scaledJob(job: TileJob, h: number, w: number): TileJob {
  const s = job.inputScale;
  if (h * s === job.input.height && w * s === job.input.width) return job;
  return { ...job, input: downscalePlanes(job.input, h * s, w * s) };
}

/**
 * Statistics of the whole input downscaled to fit `estimateSide` (its own GroupNorms, as the
 * original model computes them): one untiled run of bounded size.
 */
async function estimate(job: TileJob, count: number): Promise<GroupStats> {
  const s = job.inputScale;
  const h = job.input.height / s;
  const w = job.input.width / s;
  const f = Math.max(1, Math.max(h, w) / job.options.estimateSide);
  const small = scaledJob(job, Math.max(1, Math.round(h / f)), Math.max(1, Math.round(w / f)));
  const acc = new StatsAccumulator(count, undefined);
  acc.add(await run(small, small.input, undefined, [0, 0, small.input.height, small.input.width], count), job.model.label);
  return acc.stats();
}

/** One pass over every tile with `stats`, adding their cores' sums; `each` sees every tile's output. */
async function pass(
  job: TileJob,
  grid: TileGrid,
  stats: GroupStats | undefined,
  count: number,
  each?: (row: number, col: number, out: OutputTensor) => void,
): Promise<GroupStats> {
  const s = job.inputScale;
  const acc = new StatsAccumulator(count, stats);
  for (let r = 0; r < grid.rows.length; r++) {
    const ty = grid.rows[r] as AxisTile;
    for (let c = 0; c < grid.cols.length; c++) {
      const tx = grid.cols[c] as AxisTile;
      const input = cropPlanes(job.input, ty.win0 * s, ty.win1 * s, tx.win0 * s, tx.win1 * s);
      const box: [number, number, number, number] = [(ty.core0 - ty.win0) * s, (tx.core0 - tx.win0) * s, (ty.core1 - ty.win0) * s, (tx.core1 - tx.win0) * s];
      const out = await run(job, input, stats, box, count);
      acc.add(out, job.model.label);
      if (each !== undefined) {
        const result = out[job.outputName];
        if (result === undefined) throw new BridgeError('inference_failed', `${job.model.label} returned no ${job.outputName}`, job.model.label);
        each(r, c, result);
      }
    }
  }
  return acc.stats();
}

export interface TiledRunStats {
  /** Model runs made: the estimate, the statistics passes and the output pass. */
  runs: number;
}

/** Runs the whole schedule; `sink` receives every tile's output of the final pass, row by row. */
export async function runTiles(job: TileJob, grid: TileGrid, sink: (row: number, col: number, out: OutputTensor) => void): Promise<TiledRunStats> {
  const count = groupNormCount(job.model);
  if (job.options.statistics === 'per-tile') {
    await pass(job, grid, undefined, count, sink);
    return { runs: grid.rows.length * grid.cols.length };
  }
  let stats = job.options.estimate === 'tiles' ? await pass(job, grid, undefined, count) : await estimate(job, count);
  for (let p = 0; p < job.options.statsPasses; p++) stats = await pass(job, grid, stats, count);
  await pass(job, grid, stats, count, sink);
  return { runs: 1 + (job.options.statsPasses + 1) * grid.rows.length * grid.cols.length };
}
