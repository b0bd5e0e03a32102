import type { PsImageData, PsPixelArray } from '../host/ps-api.js';

/** Photoshop's reduced 16-bit range (ps-reference media/imaging.md). */
export const PS16 = 32768;

export type Samples = Uint8Array | Uint16Array | Float32Array;

/**
 * PhotoshopImageData as documented: chunky storage, getData returning a typed array by
 * componentSize (16-bit in 0..32768 unless fullRange), dispose releasing the pixels.
 */
export class FakeImageData implements PsImageData {
  readonly isChunky = true;
  readonly type = 'image/uncompressed';
  private samples: Samples | null;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly components: number,
    readonly componentSize: 8 | 16 | 32,
    readonly colorSpace: string,
    readonly colorProfile: string,
    samples: Samples,
    private readonly registry: Set<FakeImageData>,
  ) {
    if (samples.length !== width * height * components) {
      throw new Error(`imageData: ${samples.length} elements, expected width*height*components = ${width * height * components}`);
    }
    this.samples = samples;
    registry.add(this);
  }

  get hasAlpha(): boolean {
    return this.components === 2 || this.components === 4;
  }

  get pixelFormat(): string {
    const base = this.colorSpace === 'Grayscale' ? 'Grayscale' : this.colorSpace === 'Lab' ? 'LAB' : 'RGB';
    return this.hasAlpha ? (base === 'RGB' ? 'RGBA' : `${base}Alpha`) : base;
  }

  /** The stored samples, for the fake's own use (no copy). */
  raw(): Samples {
    if (!this.samples) throw new Error('imageData: used after dispose()');
    return this.samples;
  }

  async getData(options?: { chunky?: boolean; fullRange?: boolean }): Promise<PsPixelArray> {
    const src = this.raw();
    let out: Samples;
    if (this.componentSize === 16 && options?.fullRange === true) {
      out = Uint16Array.from(src, (v) => Math.round((v * 65535) / PS16));
    } else {
      out = src.slice();
    }
    if (options?.chunky === false) out = toPlanar(out, this.components);
    return out;
  }

  dispose(): void {
    this.samples = null;
    this.registry.delete(this);
  }
}

function toPlanar(chunky: Samples, components: number): Samples {
  const out = chunky.slice();
  const pixels = chunky.length / components;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < components; c++) out[c * pixels + p] = chunky[p * components + c] ?? 0;
  }
  return out;
}

export function fromPlanar(planar: Samples, components: number): Samples {
  const out = planar.slice();
  const pixels = planar.length / components;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < components; c++) out[p * components + c] = planar[c * pixels + p] ?? 0;
  }
  return out;
}

/** Sample value → 0..1. */
export function unit(v: number, depth: 8 | 16 | 32): number {
  return depth === 8 ? v / 255 : depth === 16 ? v / PS16 : v;
}

/** 0..1 → sample value at a depth (rounded for integer depths). */
export function fromUnit(u: number, depth: 8 | 16 | 32): number {
  const clamped = Math.min(1, Math.max(0, u));
  return depth === 8 ? Math.round(clamped * 255) : depth === 16 ? Math.round(clamped * PS16) : u;
}

export function allocate(depth: 8 | 16 | 32, length: number): Samples {
  return depth === 8 ? new Uint8Array(length) : depth === 16 ? new Uint16Array(length) : new Float32Array(length);
}

export function depthOf(samples: Samples): 8 | 16 | 32 {
  return samples instanceof Uint8Array ? 8 : samples instanceof Uint16Array ? 16 : 32;
}
