/**
 * When and how the VAE runs in tiles. Below the threshold the untiled path runs exactly as before;
 * above it the tiled path keeps memory bounded by the tile size whatever the image size.
 */
import { invalidField } from '@latent-bridge/shared';
import { checkTileSettings, type TileSettings } from './tile-plan.js';

export interface VaeTilingOptions extends TileSettings {
  /** 'auto': tile above `aboveLatentPixels`; 'always' (tests, low memory); 'never'. */
  readonly mode: 'auto' | 'always' | 'never';
  /** Latent pixels (h·w) above which 'auto' tiles; default 128² (a 1024² image runs untiled). */
  readonly aboveLatentPixels: number;
  /**
   * 'global' (default): every GroupNorm normalizes with the whole image's statistics. 'per-tile':
   * each tile with its own, as diffusers' and ComfyUI's tiled decoders do (one pass, colours
   * shift from tile to tile; kept for comparison).
   */
  readonly statistics: 'global' | 'per-tile';
  /**
   * Passes over every tile that collect the whole image's GroupNorm statistics before the pass that
   * makes the output; each refines the previous estimate (the first comes from a downscaled run).
   */
  readonly statsPasses: number;
  /**
   * The first estimate of the statistics: 'downscaled' (one run on a downscaled copy of the whole
   * input) or 'tiles' (a pass over the tiles, each normalized by its own statistics, their sums added).
   */
  readonly estimate: 'downscaled' | 'tiles';
  /** Longest side, in latent pixels, of the downscaled whole-image run that first estimates them. */
  readonly estimateSide: number;
}

export const DEFAULT_VAE_TILING: VaeTilingOptions = {
  mode: 'auto',
  aboveLatentPixels: 128 * 128,
  // 48 + 2·10 latent pixels: a 544² window, whose run peaks at about 2.6-2.9 GB RSS for SD's
  // decoder in float32 (measured: 2.6 GB at 512²), whatever the image size.
  tile: 48,
  pad: 10,
  blend: 4,
  statistics: 'global',
  statsPasses: 1,
  estimate: 'downscaled',
  estimateSide: 64,
};

export function resolveTiling(options: Partial<VaeTilingOptions> | undefined): VaeTilingOptions {
  const o = { ...DEFAULT_VAE_TILING, ...options };
  checkTileSettings(o);
  if (!['auto', 'always', 'never'].includes(o.mode)) throw invalidField('mode', `must be auto, always or never, got ${String(o.mode)}`);
  if (!Number.isInteger(o.statsPasses) || o.statsPasses < 0) throw invalidField('statsPasses', 'must be a non-negative integer');
  if (o.statistics !== 'global' && o.statistics !== 'per-tile') throw invalidField('statistics', `must be global or per-tile, got ${String(o.statistics)}`);
  if (o.estimate !== 'downscaled' && o.estimate !== 'tiles') throw invalidField('estimate', `must be downscaled or tiles, got ${String(o.estimate)}`);
  if (!Number.isInteger(o.estimateSide) || o.estimateSide < 1) throw invalidField('estimateSide', 'must be a positive integer');
  return o;
}

/** Whether a latent of h × w pixels runs tiled. */
export function usesTiles(o: VaeTilingOptions, h: number, w: number): boolean {
  return o.mode === 'always' || (o.mode === 'auto' && h * w > o.aboveLatentPixels);
}
