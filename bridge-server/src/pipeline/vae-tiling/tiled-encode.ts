/**
 * The VAE encoder in tiles: each tile's output (distribution parameters or a sample, per latent
 * pixel) is blended into the whole latent, which is small (1/64 of the pixels).
 */
import { BridgeError } from '@latent-bridge/shared';
import type { OnnxModel, OutputTensor } from '../../runtime/index.js';
import type { Planes } from './planes.js';
import { axisWeights, type AxisTile } from './tile-plan.js';
import { planGrid, runTiles, type TileJob } from './tile-runner.js';
import type { VaeTilingOptions } from './tiling-options.js';

const F = 8;

/** Encodes one image [3, H, W] in [-1, 1] (H, W multiples of 8); returns [C, H/8, W/8] as the encoder's output. */
export async function encodeTiled(model: OnnxModel, image: Planes, options: VaeTilingOptions, signal?: AbortSignal): Promise<Planes> {
  if (image.height % F !== 0 || image.width % F !== 0) {
    throw new BridgeError('tensor_mismatch', `${model.label}: tiled encoding needs sides in multiples of 8, got ${image.width}×${image.height}`, 'image');
  }
  const outputName = model.output('latent_parameters') !== undefined ? 'latent_parameters' : (model.output('latent_sample')?.name ?? model.outputs[0]?.name ?? 'latent_parameters');
  const job: TileJob = { model, inputName: 'sample', outputName, input: image, inputScale: F, options, signal };
  const grid = planGrid(job);
  const h = image.height / F;
  const w = image.width / F;
  let channels = 0;
  let data = new Float32Array(0);
  const rowWeights = grid.rows.map((_, r) => axisWeights(grid.rows, r, options.blend, 1));
  const colWeights = grid.cols.map((_, c) => axisWeights(grid.cols, c, options.blend, 1));
  const add = (r: number, c: number, tile: OutputTensor): void => {
    const ty = grid.rows[r] as AxisTile;
    const tx = grid.cols[c] as AxisTile;
    const th = ty.win1 - ty.win0;
    const tw = tx.win1 - tx.win0;
    const tc = tile.dims[1];
    if (tc === undefined || tile.dims[2] !== th || tile.dims[3] !== tw || (channels !== 0 && tc !== channels)) {
      throw new BridgeError('tensor_mismatch', `${model.label}: tile output [${tile.dims.join(',')}], expected [1,C,${th},${tw}]`, model.label);
    }
    if (channels === 0) {
      channels = tc;
      data = new Float32Array(channels * h * w);
    }
    const src = tile.data as Float32Array;
    const wy = rowWeights[r] as Float32Array;
    const wx = colWeights[c] as Float32Array;
    for (let ch = 0; ch < channels; ch++) {
      for (let y = 0; y < th; y++) {
        const ry = wy[y] as number;
        if (ry === 0) continue;
        const dst = (ch * h + ty.win0 + y) * w + tx.win0;
        const from = (ch * th + y) * tw;
        for (let x = 0; x < tw; x++) data[dst + x] = (data[dst + x] as number) + ry * (wx[x] as number) * (src[from + x] as number);
      }
    }
  };
  await runTiles(job, grid, add);
  return { data, channels, height: h, width: w };
}
