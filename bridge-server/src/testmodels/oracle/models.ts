/**
 * The oracle's four ONNX graphs: closed-form stand-ins for SD's components whose outputs tests
 * can predict exactly. Graph I/O follows the real exports (names, dtypes, symbolic dims); with
 * `fp16` the float inputs/outputs are float16 while the arithmetic inside stays float32.
 */
import type { FloatType } from '../../onnx/graph-builder.js';
import { OpBuilder } from '../../onnx/ops.js';
import type { PredictionType } from '../layout.js';
import { sdTrainingSigmas } from '../sdSchedule.js';
import { CLIP_VOCAB_SIZE, ORACLE_HIDDEN_SIZE, oracleEmbeddingTable } from './colours.js';

export type TimestepType = 'int64' | 'float32' | 'float16';

const D = ORACLE_HIDDEN_SIZE;
/** Logvar the oracle encoder reports: the latent distribution is a point mass for all practical purposes. */
export const ORACLE_LOGVAR = -30;

function toFloat32(g: OpBuilder, x: string, io: FloatType): string {
  return io === 'float32' ? x : g.cast(x, 'float32');
}

function fromFloat32(g: OpBuilder, x: string, io: FloatType): string {
  return io === 'float32' ? x : g.cast(x, io);
}

/** Gather from the colour table; pooler_output is the mean of last_hidden_state over the sequence. */
export function oracleTextEncoder(io: FloatType, idsType: 'int32' | 'int64', sequence: number | 'sequence' = 'sequence'): OpBuilder {
  const g = new OpBuilder('oracle_text_encoder');
  const ids = g.input('input_ids', idsType, ['batch', sequence]);
  const table = g.initializer('embeddings.token_embedding.weight', 'float32', [CLIP_VOCAB_SIZE, D], oracleEmbeddingTable());
  const hidden = g.gather(table, ids, 0);
  const pooled = g.reduceMean(hidden, [1], false);
  g.output(fromFloat32(g, hidden, io), 'last_hidden_state', io, ['batch', sequence, D]);
  g.output(fromFloat32(g, pooled, io), 'pooler_output', io, ['batch', D]);
  return g;
}

export interface OracleUnetOptions {
  io: FloatType;
  timestepType: TimestepType;
  inpaint: boolean;
  prediction: PredictionType;
  scalingFactor: number;
  /** A fixed token count for encoder_hidden_states (an export traced at 77), instead of a symbolic one. */
  sequence?: number;
}

/**
 * eps = (sample·sqrt(1+σ²) − x0)/σ with x0 = scaling_factor·(mean prompt colour, 0), so that any
 * scheduler's x0 estimate is exactly x0 (see reference.ts for the same formula in TS).
 */
export function oracleUnet(o: OracleUnetOptions): OpBuilder {
  const g = new OpBuilder('oracle_unet');
  const sampleIn = g.input('sample', o.io, ['batch', 'channels', 'height', 'width']);
  const timestepIn = g.input('timestep', o.timestepType, o.timestepType === 'int64' ? ['batch'] : [1]);
  const contextIn = g.input('encoder_hidden_states', o.io, ['batch', o.sequence ?? 'sequence', D]);
  const sample = toFloat32(g, sampleIn, o.io);
  const context = toFloat32(g, contextIn, o.io);

  const colour = g.scope('colour', () => {
    const weight = g.slice(context, [3], [4], [2]);
    const rgb = g.slice(context, [0], [3], [2]);
    const sum = g.reduceSum(g.mul(rgb, weight), [1], false);
    const count = g.max(g.reduceSum(weight, [1], false), g.float(1));
    return g.div(sum, count);
  });
  const toLatent = new Float32Array(3 * 4);
  for (let c = 0; c < 3; c++) toLatent[c * 4 + c] = o.scalingFactor;
  const target = g.unsqueeze(g.matmul(colour, g.initializer('colour_to_latent', 'float32', [3, 4], toLatent)), [2, 3]);

  let noisy = sample;
  let x0 = target;
  if (o.inpaint) {
    noisy = g.slice(sample, [0], [4], [1]);
    const mask = g.slice(sample, [4], [5], [1]);
    const masked = g.slice(sample, [5], [9], [1]);
    x0 = g.add(g.mul(mask, target), g.mul(g.sub(g.float(1), mask), masked));
  }

  const sigma = g.scope('sigma', () => {
    const t = g.clip(g.cast(timestepIn, 'float32'), 0, 999);
    const lo = g.floor(t);
    const table = g.initializer('train_sigmas', 'float32', [1000], sdTrainingSigmas());
    const sLo = g.gather(table, g.cast(lo, 'int64'), 0);
    const sHi = g.gather(table, g.cast(g.ceil(t), 'int64'), 0);
    const s = g.add(sLo, g.mul(g.sub(t, lo), g.sub(sHi, sLo)));
    return g.reshape(s, [-1, 1, 1, 1]);
  });
  const root = g.sqrt(g.add(g.float(1), g.mul(sigma, sigma)));
  const eps = g.div(g.sub(g.mul(noisy, root), x0), sigma);
  // v = sqrt(ᾱ)·eps − sqrt(1−ᾱ)·x0 with sqrt(ᾱ) = 1/root and sqrt(1−ᾱ) = σ/root.
  const out = o.prediction === 'epsilon' ? eps : g.div(g.sub(eps, g.mul(sigma, x0)), root);
  g.output(fromFloat32(g, out, o.io), 'out_sample', o.io, ['batch', 4, 'height', 'width']);
  return g;
}

/** The decoder's per-pixel map: rgb = A·latent + a0 with channel 3 ignored. */
export const ORACLE_DECODE_MATRIX: readonly (readonly [number, number, number, number])[] = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
];
export const ORACLE_DECODE_OFFSET: readonly [number, number, number] = [0, 0, 0];

/** 1×1 conv with ORACLE_DECODE_MATRIX, then nearest ×8. Input is the unscaled latent (latents / scaling_factor). */
export function oracleVaeDecoder(io: FloatType): OpBuilder {
  const g = new OpBuilder('oracle_vae_decoder');
  const latent = toFloat32(g, g.input('latent_sample', io, ['batch', 4, 'height', 'width']), io);
  const weight = g.initializer('conv.weight', 'float32', [3, 4, 1, 1], Float32Array.from(ORACLE_DECODE_MATRIX.flat()));
  const bias = g.initializer('conv.bias', 'float32', [3], Float32Array.from(ORACLE_DECODE_OFFSET));
  const rgb = g.upsampleNearest(g.conv(latent, weight, bias), 8);
  g.output(fromFloat32(g, rgb, io), 'sample', io, ['batch', 3, 'image_height', 'image_width']);
  return g;
}

export type VaeEncoderOutput = 'latent_sample' | 'latent_parameters';

/**
 * 8×8 average pool, then rgb -> (r, g, b, 0). 'latent_sample' is the (deterministic) sample,
 * unscaled; 'latent_parameters' is mean then logvar (ORACLE_LOGVAR) channels.
 */
export function oracleVaeEncoder(io: FloatType, output: VaeEncoderOutput): OpBuilder {
  const g = new OpBuilder('oracle_vae_encoder');
  const image = toFloat32(g, g.input('sample', io, ['batch', 3, 'height', 'width']), io);
  const channels = output === 'latent_sample' ? 4 : 8;
  const weight = new Float32Array(channels * 3);
  for (let c = 0; c < 3; c++) weight[c * 3 + c] = 1;
  const bias = new Float32Array(channels);
  if (output === 'latent_parameters') bias.fill(ORACLE_LOGVAR, 4);
  const pooled = g.averagePool(image, 8);
  const latent = g.conv(
    pooled,
    g.initializer('conv.weight', 'float32', [channels, 3, 1, 1], weight),
    g.initializer('conv.bias', 'float32', [channels], bias),
  );
  g.output(fromFloat32(g, latent, io), output, io, ['batch', channels, 'latent_height', 'latent_width']);
  return g;
}
