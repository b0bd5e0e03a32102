/**
 * The VAE decoder in tiles. Tile outputs are blended into a float strip that spans one row of
 * tiles plus the blend bands; rows no later tile can touch are converted to 8-bit at once, so
 * besides the result itself memory holds one strip (3 floats × width × (tile + 2·blend)·8 rows)
 * and one tile's run.
 */
import { BridgeError } from '@latent-bridge/shared';
import { chwToRgb, chwToRgba } from '../../image/index.js';
import type { OnnxModel, OutputTensor } from '../../runtime/index.js';
import type { Planes } from './planes.js';
import { axisWeights, type AxisTile } from './tile-plan.js';
import { planGrid, runTiles, type TileJob } from './tile-runner.js';
import type { VaeTilingOptions } from './tiling-options.js';

const F = 8;

/** Rows [start, end) of the output, three float planes of `width`. */
class Strip {
  readonly data: Float32Array;
  constructor(
    readonly start: number,
    readonly end: number,
    readonly width: number,
  ) {
    this.data = new Float32Array(3 * (end - start) * width);
  }

  plane(c: number): number {
    return c * (this.end - this.start) * this.width;
  }
}

/**
 * Decodes one latent [4, h, w] (already divided by the scaling factor) with the
 * GroupNorm-statistics variant of the decoder; returns packed RGB (3) or RGBA (4) bytes.
 */
export async function decodeTiled(model: OnnxModel, latent: Planes, options: VaeTilingOptions, channels: 3 | 4, signal?: AbortSignal): Promise<Uint8Array> {
  const job: TileJob = { model, inputName: 'latent_sample', outputName: 'sample', input: latent, inputScale: 1, options, signal };
  const grid = planGrid(job);
  const height = latent.height * F;
  const width = latent.width * F;
  const band = options.blend * F;
  const out = new Uint8Array(height * width * channels);
  const rowSpan = (r: number): [number, number] => {
    const t = grid.rows[r] as AxisTile;
    return [r === 0 ? 0 : t.core0 * F - band, r === grid.rows.length - 1 ? height : t.core1 * F + band];
  };
  const finalize = (strip: Strip, from: number, to: number): void => {
    if (to <= from) return;
    const n = to - from;
    const rows = new Float32Array(3 * n * width);
    for (let c = 0; c < 3; c++) {
      const src = strip.plane(c) + (from - strip.start) * width;
      rows.set(strip.data.subarray(src, src + n * width), c * n * width);
    }
    const bytes = channels === 4 ? chwToRgba(rows, width, n).data : chwToRgb(rows, width, n);
    out.set(bytes, from * width * channels);
  };
  let strip = new Strip(...rowSpan(0), width);
  const colWeights = grid.cols.map((_, c) => axisWeights(grid.cols, c, options.blend, F));
  let rowWeights = axisWeights(grid.rows, 0, options.blend, F);
  let currentRow = 0;

  const add = (r: number, c: number, tile: OutputTensor): void => {
    if (r !== currentRow) {
      // A new row of tiles: rows above its blend band are final; the band carries over.
      const [start, end] = rowSpan(r);
      finalize(strip, strip.start, start);
      const next = new Strip(start, end, width);
      const keep = strip.end - start;
      for (let ch = 0; ch < 3; ch++) {
        const src = strip.plane(ch) + (start - strip.start) * width;
        next.data.set(strip.data.subarray(src, src + keep * width), next.plane(ch));
      }
      strip = next;
      rowWeights = axisWeights(grid.rows, r, options.blend, F);
      currentRow = r;
    }
    const ty = grid.rows[r] as AxisTile;
    const tx = grid.cols[c] as AxisTile;
    const th = (ty.win1 - ty.win0) * F;
    const tw = (tx.win1 - tx.win0) * F;
    if (tile.dims[1] !== 3 || tile.dims[2] !== th || tile.dims[3] !== tw) {
      throw new BridgeError('tensor_mismatch', `${model.label}: tile output [${tile.dims.join(',')}], expected [1,3,${th},${tw}]`, model.label);
    }
    const data = tile.data as Float32Array;
    const wx = colWeights[c] as Float32Array;
    const x0 = tx.win0 * F;
    for (let y = 0; y < th; y++) {
      const wy = rowWeights[y] as number;
      if (wy === 0) continue;
      const oy = ty.win0 * F + y;
      if (oy < strip.start || oy >= strip.end) throw new RangeError(`tile row ${oy} outside strip [${strip.start}, ${strip.end})`);
      for (let ch = 0; ch < 3; ch++) {
        const dst = strip.plane(ch) + (oy - strip.start) * width + x0;
        const src = (ch * th + y) * tw;
        for (let x = 0; x < tw; x++) {
          const w = wy * (wx[x] as number);
          if (w !== 0) strip.data[dst + x] = (strip.data[dst + x] as number) + w * (data[src + x] as number);
        }
      }
    }
  };
  await runTiles(job, grid, add);
  finalize(strip, strip.start, strip.end);
  return out;
}
