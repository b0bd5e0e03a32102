/** CHW float planes: crops and box downscales for tiles and the statistics estimate. */

export interface Planes {
  readonly data: Float32Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** The rows [y0, y1) and columns [x0, x1) of every channel. */
export function cropPlanes(p: Planes, y0: number, y1: number, x0: number, x1: number): Planes {
  const h = y1 - y0;
  const w = x1 - x0;
  const out = new Float32Array(p.channels * h * w);
  for (let c = 0; c < p.channels; c++) {
    for (let y = 0; y < h; y++) {
      const from = (c * p.height + y0 + y) * p.width + x0;
      out.set(p.data.subarray(from, from + w), (c * h + y) * w);
    }
  }
  return { data: out, channels: p.channels, height: h, width: w };
}

/**
 * Box-filter downscale to height × width: each output pixel is the mean of the input pixels whose
 * centres fall in its cell (area averaging, as a resize with antialiasing does for integer factors).
 */
export function downscalePlanes(p: Planes, height: number, width: number): Planes {
  const out = new Float32Array(p.channels * height * width);
  const rows = (i: number, n: number, len: number) => [Math.floor((i * len) / n), Math.max(Math.floor((i * len) / n) + 1, Math.floor(((i + 1) * len) / n))] as const;
  for (let c = 0; c < p.channels; c++) {
    for (let y = 0; y < height; y++) {
      const [ya, yb] = rows(y, height, p.height);
      for (let x = 0; x < width; x++) {
        const [xa, xb] = rows(x, width, p.width);
        let s = 0;
        for (let yy = ya; yy < yb; yy++) {
          const row = (c * p.height + yy) * p.width;
          for (let xx = xa; xx < xb; xx++) s += p.data[row + xx] as number;
        }
        out[(c * height + y) * width + x] = s / ((yb - ya) * (xb - xa));
      }
    }
  }
  return { data: out, channels: p.channels, height, width };
}
