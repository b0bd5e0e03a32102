/** Pixels and models for the edit-mode tests: seeded noise images, rectangle masks, oracle folders. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bounds, Mask, RgbaImage } from '../../image/index.js';
import { inspectModel } from '../../models/index.js';
import { makeTestModel, type TestModelOptions } from '../../testmodels/index.js';
import { LoadedModel } from '../loaded-model.js';

/** Opaque RGBA noise from a seeded LCG: any misplaced pixel shows. */
export function noiseImage(width: number, height: number, seed = 1): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = i % 4 === 3 ? 255 : s >>> 24;
  }
  return { width, height, data };
}

export function flatImage(width: number, height: number, rgb: readonly [number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([rgb[0], rgb[1], rgb[2], 255], i);
  return { width, height, data };
}

export function rectMask(width: number, height: number, r: Bounds, value = 255): Mask {
  const data = new Uint8Array(width * height);
  for (let y = Math.max(0, r.y); y < Math.min(height, r.y + r.height); y++) {
    for (let x = Math.max(0, r.x); x < Math.min(width, r.x + r.width); x++) data[y * width + x] = value;
  }
  return { width, height, data };
}

export function pixel(image: RgbaImage, x: number, y: number): [number, number, number, number] {
  const o = (y * image.width + x) * 4;
  return [image.data[o]!, image.data[o + 1]!, image.data[o + 2]!, image.data[o + 3]!];
}

export function samePixel(a: RgbaImage, b: RgbaImage, x: number, y: number): boolean {
  const o = (y * a.width + x) * 4;
  for (let c = 0; c < 4; c++) if (a.data[o + c] !== b.data[o + c]) return false;
  return true;
}

export function inside(r: Bounds, x: number, y: number): boolean {
  return x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height;
}

/** Largest channel difference between a pixel and an RGB colour. */
export function colourDistance(image: RgbaImage, x: number, y: number, rgb: readonly number[]): number {
  const p = pixel(image, x, y);
  return Math.max(Math.abs(p[0] - rgb[0]!), Math.abs(p[1] - rgb[1]!), Math.abs(p[2] - rgb[2]!));
}

export interface ModelSet {
  dir: string;
  load(name: string, options?: TestModelOptions): Promise<LoadedModel>;
  close(): Promise<void>;
}

/** Builds test models on demand in one temporary folder and releases them together. */
export async function modelSet(prefix: string): Promise<ModelSet> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const loaded: LoadedModel[] = [];
  return {
    dir,
    async load(name, options = {}) {
      const target = join(dir, name);
      await makeTestModel('oracle', target, options);
      const model = await LoadedModel.load(await inspectModel(target));
      loaded.push(model);
      return model;
    },
    async close() {
      await Promise.all(loaded.map((m) => m.release()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
