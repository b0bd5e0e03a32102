/**
 * torch.nn.functional.interpolate on [N, C, H, W] float32 latents, for the hires fix's "Latent"
 * upscalers (shared.latent_upscale_modes): nearest, nearest-exact, bilinear and bicubic with
 * align_corners=False, and the antialiased bilinear/bicubic (PIL-style separable filters with a
 * = -0.5, torch's _upsample_*_aa). Separable: rows then columns, each output from weights over
 * the input line.
 */

export type LatentMode = 'nearest' | 'nearest-exact' | 'bilinear' | 'bicubic';

export interface LatentUpscaleMode {
  mode: LatentMode;
  antialias: boolean;
}

export const LATENT_UPSCALE_MODES: Readonly<Record<string, LatentUpscaleMode>> = {
  Latent: { mode: 'bilinear', antialias: false },
  'Latent (antialiased)': { mode: 'bilinear', antialias: true },
  'Latent (bicubic)': { mode: 'bicubic', antialias: false },
  'Latent (bicubic antialiased)': { mode: 'bicubic', antialias: true },
  'Latent (nearest)': { mode: 'nearest', antialias: false },
  'Latent (nearest-exact)': { mode: 'nearest-exact', antialias: false },
};

/** A1111's default hires upscaler when hr_upscaler is not given. */
export const LATENT_UPSCALE_DEFAULT = 'Latent';

/** For each output index: the input indices and weights it reads. */
interface Taps {
  index: Int32Array;
  weight: Float64Array;
  size: number;
}

function cubic(x: number, a: number): number {
  const ax = Math.abs(x);
  if (ax <= 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return ((a * ax - 5 * a) * ax + 8 * a) * ax - 4 * a;
  return 0;
}

function taps(inSize: number, outSize: number, m: LatentUpscaleMode): Taps[] {
  // torch computes the scale as a float32 ratio when no scale_factor is given.
  const scale = Math.fround(inSize / outSize);
  const out: Taps[] = [];
  for (let o = 0; o < outSize; o++) {
    if (m.mode === 'nearest' || m.mode === 'nearest-exact') {
      const src = m.mode === 'nearest' ? Math.floor(Math.fround(o * scale)) : Math.floor(Math.fround((o + 0.5) * scale));
      out.push({ index: Int32Array.of(Math.min(src, inSize - 1)), weight: Float64Array.of(1), size: 1 });
    } else if (m.antialias) {
      // torch's antialiased kernels: support grows with the downscale factor; weights normalized.
      const interp = m.mode === 'bilinear' ? 1 : 2;
      const support = interp * (scale >= 1 ? scale : 1);
      const invscale = scale >= 1 ? 1 / scale : 1;
      const center = scale * (o + 0.5);
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
      const ws: number[] = [];
      let total = 0;
      for (let j = xmin; j < xmax; j++) {
        const x = (j - center + 0.5) * invscale;
        const w = m.mode === 'bilinear' ? Math.max(0, 1 - Math.abs(x)) : cubic(x, -0.5);
        ws.push(w);
        total += w;
      }
      out.push({
        index: Int32Array.from({ length: xmax - xmin }, (_, k) => xmin + k),
        weight: Float64Array.from(ws, (w) => (total !== 0 ? w / total : 0)),
        size: xmax - xmin,
      });
    } else if (m.mode === 'bilinear') {
      const src = Math.max(0, Math.fround(Math.fround((o + 0.5) * scale) - 0.5));
      const i0 = Math.min(Math.floor(src), inSize - 1);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const l1 = src - i0;
      out.push({ index: Int32Array.of(i0, i1), weight: Float64Array.of(1 - l1, l1), size: 2 });
    } else {
      const src = Math.fround(Math.fround((o + 0.5) * scale) - 0.5);
      const i = Math.floor(src);
      const t = src - i;
      const clamp = (k: number) => Math.min(Math.max(k, 0), inSize - 1);
      out.push({
        index: Int32Array.of(clamp(i - 1), clamp(i), clamp(i + 1), clamp(i + 2)),
        weight: Float64Array.of(cubic(t + 1, -0.75), cubic(t, -0.75), cubic(1 - t, -0.75), cubic(2 - t, -0.75)),
        size: 4,
      });
    }
  }
  return out;
}

/** interpolate(latents, size=(outH, outW), mode, antialias) for [n, c, h, w] float32 data. */
export function resizeLatents(
  data: Float32Array,
  shape: readonly [number, number, number, number],
  outH: number,
  outW: number,
  m: LatentUpscaleMode,
): Float32Array {
  const [n, c, h, w] = shape;
  const xs = taps(w, outW, m);
  const ys = taps(h, outH, m);
  const rows = new Float32Array(n * c * h * outW);
  for (let plane = 0; plane < n * c; plane++) {
    for (let y = 0; y < h; y++) {
      const src = (plane * h + y) * w;
      const dst = (plane * h + y) * outW;
      for (let x = 0; x < outW; x++) {
        const t = xs[x] as Taps;
        let acc = 0;
        for (let k = 0; k < t.size; k++) acc += (t.weight[k] as number) * (data[src + (t.index[k] as number)] as number);
        rows[dst + x] = acc;
      }
    }
  }
  const out = new Float32Array(n * c * outH * outW);
  for (let plane = 0; plane < n * c; plane++) {
    for (let y = 0; y < outH; y++) {
      const t = ys[y] as Taps;
      const dst = (plane * outH + y) * outW;
      for (let x = 0; x < outW; x++) {
        let acc = 0;
        for (let k = 0; k < t.size; k++) acc += (t.weight[k] as number) * (rows[(plane * h + (t.index[k] as number)) * outW + x] as number);
        out[dst + x] = acc;
      }
    }
  }
  return out;
}
