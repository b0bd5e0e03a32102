/**
 * diffusers' timestep modules: Timesteps (the fixed sinusoidal projection, `get_timestep_embedding`)
 * and TimestepEmbedding (linear_1 → SiLU → linear_2). The sinusoid is always computed in float32,
 * as diffusers does (`timesteps[:, None].float() * freqs`) before casting to the model's dtype:
 * t·freq reaches 1000 rad, where float16 could not hold the phase.
 */
import type { OpBuilder } from '../onnx/ops.js';
import { linear } from './layers.js';
import type { Params } from './params.js';

export interface TimestepsOptions {
  /** [cos, sin] instead of [sin, cos] (true for every SD UNet; LDM's timestep_embedding order). */
  flipSinToCos: boolean;
  /** downscale_freq_shift: freqs = exp(-ln(10000)·i / (half - shift)); 0 for SD (LDM), 1 in some models. */
  freqShift: number;
}

/**
 * Timesteps(dim): t of any shape is flattened to [N] and projected to [N, dim] in the graph's
 * float type.
 */
export function timestepProjection(g: OpBuilder, t: string, dim: number, o: TimestepsOptions): string {
  const half = Math.floor(dim / 2);
  // torch's order of float32 roundings: (-ln 10000 · i) / (half - shift), then exp.
  const lnMax = Math.fround(-Math.log(10000));
  const freqs = Array.from({ length: half }, (_, i) => Math.fround(Math.exp(Math.fround(Math.fround(lnMax * i) / (half - o.freqShift)))));
  const flat = g.unsqueeze(g.reshape(g.cast(t, 'float32'), [-1]), [1]);
  const args = g.mul(flat, g.constant('float32', freqs, [1, half]));
  const [first, second] = o.flipSinToCos ? [g.cos(args), g.sin(args)] : [g.sin(args), g.cos(args)];
  let emb = g.concat([first, second], -1);
  if (dim % 2 === 1) emb = g.op('Pad', [emb, g.int64([0, 0, 0, 1])]);
  return g.floatType === 'float32' ? emb : g.cast(emb, g.floatType);
}

export interface TimestepEmbeddingOptions {
  inChannels: number;
  timeEmbedDim: number;
  /** LCM's guidance embedding [N, condDim], projected (no bias) and added before linear_1. */
  condition?: { value: string; channels: number };
}

/** TimestepEmbedding: linear_1 → SiLU → linear_2 (act_fn silu, no post activation). */
export function timestepEmbedding(p: Params, x: string, o: TimestepEmbeddingOptions): string {
  const g = p.g;
  let h = x;
  const cond = o.condition;
  if (cond !== undefined) h = g.add(h, p.module('cond_proj', (m) => linear(m, cond.value, cond.channels, o.inChannels, false)));
  h = p.module('linear_1', (m) => linear(m, h, o.inChannels, o.timeEmbedDim));
  return p.module('linear_2', (m) => linear(m, g.silu(h), o.timeEmbedDim, o.timeEmbedDim));
}
