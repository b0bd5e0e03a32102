/**
 * A1111's "SD upscale" script (scripts/sd_upscale.py): the init image upscaled by an image
 * upscaler, cut into width×height tiles that overlap by `overlap` pixels (images.split_grid), each
 * tile run through img2img in batches (seeds: seed, then the batch's first seed + 1), and the tiles
 * put back with linear ramps across the overlaps (images.combine_grid). script_args are
 * [info, overlap, upscaler (index into /upscalers or its name), scale_factor].
 */
import type { RgbaImage } from '../../image/index.js';
import { httpException, pythonError } from '../errors.js';
import type { FieldValue } from '../fields.js';
import { pyInt } from '../infotext.js';
import { checkRunLimits, fixedSeed, type RunContext } from './common.js';
import { cropImage, IMAGE_UPSCALERS, upscaleBy } from './image-ops.js';
import { runImg2img, type Img2ImgParams } from './img2img.js';
import type { CommonParams } from './params.js';
import type { Processed } from './processed.js';

export const SD_UPSCALE_TITLE = 'SD upscale';

export interface SdUpscaleArgs {
  overlap: number;
  upscaler: (typeof IMAGE_UPSCALERS)[number];
  scaleFactor: number;
}

function pyRepr(v: FieldValue | undefined): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v ?? null);
}

/** The script's arguments as A1111 takes them; a bad upscaler fails as A1111's Python does (500). */
export function sdUpscaleArgs(args: readonly FieldValue[]): SdUpscaleArgs {
  const overlap = args[1] ?? 64;
  const index = args[2] ?? 0;
  const scale = args[3] ?? 2;
  if (typeof overlap !== 'number' || typeof scale !== 'number') {
    throw pythonError('TypeError', `SD upscale: overlap and scale_factor must be numbers, got ${pyRepr(args[1])} and ${pyRepr(args[3])}`);
  }
  let i: number;
  if (typeof index === 'string') {
    i = IMAGE_UPSCALERS.map((n) => n.toLowerCase()).indexOf(index.toLowerCase() as never);
    if (i < 0) throw pythonError('ValueError', `'${index.toLowerCase()}' is not in list`);
  } else if (typeof index === 'number' && Number.isInteger(index)) {
    i = index < 0 ? IMAGE_UPSCALERS.length + index : index;
    if (i < 0 || i >= IMAGE_UPSCALERS.length) throw pythonError('IndexError', 'list index out of range');
  } else {
    throw pythonError('TypeError', `list indices must be integers or slices, not ${typeof index}`);
  }
  if (overlap < 0) throw httpException(422, `SD upscale: overlap must be 0 or more, got ${overlap}`);
  return { overlap: Math.trunc(overlap), upscaler: IMAGE_UPSCALERS[i] as SdUpscaleArgs['upscaler'], scaleFactor: scale };
}

interface Tile {
  x: number;
  image: RgbaImage;
}
interface Row {
  y: number;
  tiles: Tile[];
}

/** images.split_grid */
export function splitGrid(image: RgbaImage, tileW: number, tileH: number, overlap: number): Row[] {
  const { width: w, height: h } = image;
  const cols = Math.max(1, Math.ceil((w - overlap) / (tileW - overlap)));
  const rows = Math.max(1, Math.ceil((h - overlap) / (tileH - overlap)));
  const dx = cols > 1 ? (w - tileW) / (cols - 1) : 0;
  const dy = rows > 1 ? (h - tileH) / (rows - 1) : 0;
  const out: Row[] = [];
  for (let r = 0; r < rows; r++) {
    let y = Math.trunc(r * dy);
    if (y + tileH >= h) y = h - tileH;
    const tiles: Tile[] = [];
    for (let c = 0; c < cols; c++) {
      let x = Math.trunc(c * dx);
      if (x + tileW >= w) x = w - tileW;
      tiles.push({ x, image: cropImage(image, x, y, x + tileW, y + tileH) });
    }
    out.push({ y, tiles });
  }
  return out;
}

/** images.combine_grid: each tile pasted over the previous one through a 0→255 ramp across the overlap. */
export function combineGrid(rows: readonly Row[], width: number, height: number, tileW: number, tileH: number, overlap: number): RgbaImage {
  const out = new Uint8Array(width * height * 4);
  for (let i = 3; i < out.length; i += 4) out[i] = 255;
  const ramp = (k: number) => (overlap > 0 ? Math.trunc((k * 255) / overlap) : 255);
  for (const row of rows) {
    const line = new Uint8Array(width * tileH * 4);
    for (const t of row.tiles) {
      for (let y = 0; y < tileH; y++) {
        for (let x = 0; x < tileW; x++) {
          const dx = t.x + x;
          if (dx < 0 || dx >= width) continue;
          const a = t.x === 0 || x >= overlap ? 255 : ramp(x);
          const s = (y * tileW + x) * 4;
          const d = (y * width + dx) * 4;
          for (let c = 0; c < 3; c++) line[d + c] = Math.round(((t.image.data[s + c] as number) * a + (line[d + c] as number) * (255 - a)) / 255);
          line[d + 3] = 255;
        }
      }
    }
    for (let y = 0; y < tileH; y++) {
      const dy = row.y + y;
      if (dy < 0 || dy >= height) continue;
      const a = row.y === 0 || y >= overlap ? 255 : ramp(y);
      for (let x = 0; x < width; x++) {
        const s = (y * width + x) * 4;
        const d = (dy * width + x) * 4;
        for (let c = 0; c < 3; c++) out[d + c] = Math.round(((line[s + c] as number) * a + (out[d + c] as number) * (255 - a)) / 255);
      }
    }
  }
  return { width, height, data: out };
}

export async function runSdUpscale(ctx: RunContext, c: CommonParams, a: Img2ImgParams, args: SdUpscaleArgs): Promise<Processed> {
  const init = a.initImages[0];
  if (init === undefined) throw httpException(404, 'Init image not found');
  if (a.mask !== undefined) throw httpException(422, 'SD upscale with a mask is not supported on this server; send the image without a mask.');
  const tileW = Math.floor(c.width / 8) * 8;
  const tileH = Math.floor(c.height / 8) * 8;
  if (args.overlap >= tileW || args.overlap >= tileH) throw httpException(422, `SD upscale: overlap ${args.overlap} must be smaller than the tile (${tileW}×${tileH})`);
  checkRunLimits(ctx.limits, tileW, tileH, c.steps, c.batchSize);
  const img = args.upscaler === 'None' ? init : await upscaleBy(init, args.scaleFactor, args.upscaler);
  if (img.width * img.height > ctx.limits.maxPixels * 16) throw httpException(413, `SD upscale: the upscaled image ${img.width}×${img.height} is over this server's limit`);
  const grid = splitGrid(img, tileW, tileH, args.overlap);
  const work = grid.flatMap((r) => r.tiles);
  const batchCount = Math.ceil(work.length / c.batchSize);
  const seed = fixedSeed(c.seed);
  const subseed = fixedSeed(c.subseed);
  ctx.state.jobCount = batchCount * c.nIter;
  const results: RgbaImage[] = [];
  let initial: Processed | undefined;
  let last: Processed | undefined;
  for (let n = 0; n < c.nIter; n++) {
    let batchSeed = seed + n;
    const done: RgbaImage[] = [];
    for (let i = 0; i < batchCount && !ctx.state.interrupted; i++) {
      ctx.state.job = `Batch ${i + 1 + n * batchCount} out of ${ctx.state.jobCount}`;
      const tiles = work.slice(i * c.batchSize, (i + 1) * c.batchSize).map((t) => t.image);
      const processed = await runImg2img(
        ctx,
        { ...c, seed: batchSeed, subseed, nIter: 1 },
        { ...a, initImages: tiles, resizeMode: 0 },
        (extra) => extra.set('SD upscale overlap', pyInt(args.overlap)).set('SD upscale upscaler', args.upscaler),
      );
      initial ??= processed;
      last = processed;
      batchSeed = ((processed.js['seed'] as number | undefined) ?? batchSeed) + 1;
      done.push(...processed.images);
    }
    let k = 0;
    for (const row of grid) for (const t of row.tiles) t.image = done[k++] ?? blankTile(tileW, tileH);
    results.push(combineGrid(grid, img.width, img.height, tileW, tileH, args.overlap));
  }
  const info = initial?.infotexts[0] ?? '';
  const js = { ...(last?.js ?? {}), seed, infotexts: results.map(() => info), index_of_first_image: 0 };
  return { images: results, infotexts: results.map(() => info), js };
}

function blankTile(w: number, h: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width: w, height: h, data };
}
