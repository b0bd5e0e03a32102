/**
 * Where the tiles of a tiled VAE run lie, along each axis in latent pixels: cores partition the
 * image (their GroupNorm sums add up to the whole image's), windows add `pad` pixels of context on
 * each side (clipped to the image), and outputs are blended with linear ramps `blend` pixels either
 * side of each core boundary, so the weights of all tiles sum to one everywhere.
 */
import { invalidField } from '@latent-bridge/shared';

export interface AxisTile {
  /** Core [core0, core1): the tile's share of the image. */
  readonly core0: number;
  readonly core1: number;
  /** Window [win0, win1): what the tile runs on. */
  readonly win0: number;
  readonly win1: number;
}

export interface TileSettings {
  /** Largest core side, latent pixels. */
  readonly tile: number;
  /** Context around the core, latent pixels. */
  readonly pad: number;
  /** Half-width of the blend band around core boundaries, latent pixels (≤ pad). */
  readonly blend: number;
}

export function checkTileSettings(s: TileSettings): void {
  if (!Number.isInteger(s.tile) || s.tile < 1) throw invalidField('tile', `must be a positive integer, got ${s.tile}`);
  if (!Number.isInteger(s.pad) || s.pad < 0) throw invalidField('pad', `must be a non-negative integer, got ${s.pad}`);
  if (!Number.isInteger(s.blend) || s.blend < 0 || s.blend > s.pad) {
    throw invalidField('blend', `must be an integer between 0 and pad (${s.pad}), got ${s.blend}`);
  }
}

/** Tiles along one axis of `length` latent pixels: as few cores as fit `tile`, of near-equal size. */
export function planAxis(length: number, s: TileSettings): AxisTile[] {
  const n = Math.max(1, Math.ceil(length / s.tile));
  const tiles: AxisTile[] = [];
  for (let i = 0; i < n; i++) {
    const core0 = Math.round((i * length) / n);
    const core1 = Math.round(((i + 1) * length) / n);
    tiles.push({ core0, core1, win0: Math.max(0, core0 - s.pad), win1: Math.min(length, core1 + s.pad) });
  }
  return tiles;
}

/**
 * Blend weights of tile `i` over its window, in output pixels (`scale` output pixels per latent
 * pixel): 1 inside, ramping linearly across [boundary − blend, boundary + blend) at each inner core
 * boundary, 0 beyond. Neighbours' ramps are complements, so the weights partition unity.
 */
export function axisWeights(tiles: readonly AxisTile[], i: number, blend: number, scale: number): Float32Array {
  const t = tiles[i];
  if (t === undefined) throw new RangeError(`no tile ${i}`);
  const w0 = t.win0 * scale;
  const out = new Float32Array((t.win1 - t.win0) * scale);
  const band = blend * scale;
  const up = (p: number, boundary: number): number => {
    if (band === 0) return p >= boundary ? 1 : 0;
    return Math.min(1, Math.max(0, (p + 0.5 - (boundary - band)) / (2 * band)));
  };
  for (let j = 0; j < out.length; j++) {
    const p = w0 + j;
    let w = 1;
    if (i > 0) w *= up(p, t.core0 * scale);
    if (i < tiles.length - 1) w *= 1 - up(p, t.core1 * scale);
    out[j] = w;
  }
  return out;
}
