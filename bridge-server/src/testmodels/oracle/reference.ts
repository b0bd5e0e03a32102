/**
 * The oracle's closed forms in plain TS, for tests that want to predict model outputs or the
 * final image of a pipeline run on the oracle model.
 */
import type { PredictionType } from '../layout.js';
import { sigmaAt } from '../sdSchedule.js';
import { oracleColour, oracleColourOfPrompt, type Rgb } from './colours.js';
import { ORACLE_DECODE_MATRIX, ORACLE_DECODE_OFFSET } from './models.js';

export interface OracleUnetInputs {
  /** [batch, 4 or 9, height, width] */
  sample: Float32Array;
  sampleDims: readonly [number, number, number, number];
  /** One timestep for the whole batch, or one per batch entry. */
  timesteps: readonly number[];
  /** [batch, sequence, 4] */
  context: Float32Array;
  sequenceLength: number;
  scalingFactor: number;
  prediction?: PredictionType;
}

/** out_sample of the oracle UNet, computed in double precision. */
export function oracleUnetReference(inputs: OracleUnetInputs): Float32Array {
  const [batch, channels, height, width] = inputs.sampleDims;
  const plane = height * width;
  const inpaint = channels === 9;
  const out = new Float32Array(batch * 4 * plane);
  for (let b = 0; b < batch; b++) {
    const colour = contextColour(inputs.context, b, inputs.sequenceLength);
    const sigma = sigmaAt(inputs.timesteps.length === 1 ? (inputs.timesteps[0] ?? 0) : (inputs.timesteps[b] ?? 0));
    const root = Math.sqrt(1 + sigma * sigma);
    for (let c = 0; c < 4; c++) {
      const target = c < 3 ? inputs.scalingFactor * (colour[c as 0 | 1 | 2] ?? 0) : 0;
      for (let p = 0; p < plane; p++) {
        const at = (b * channels + c) * plane + p;
        let x0 = target;
        if (inpaint) {
          const mask = inputs.sample[(b * channels + 4) * plane + p] ?? 0;
          const masked = inputs.sample[(b * channels + 5 + c) * plane + p] ?? 0;
          x0 = mask * target + (1 - mask) * masked;
        }
        const eps = ((inputs.sample[at] ?? 0) * root - x0) / sigma;
        out[(b * 4 + c) * plane + p] = inputs.prediction === 'v_prediction' ? (eps - sigma * x0) / root : eps;
      }
    }
  }
  return out;
}

function contextColour(context: Float32Array, b: number, sequence: number): Rgb {
  const sum = [0, 0, 0];
  let weight = 0;
  for (let s = 0; s < sequence; s++) {
    const at = (b * sequence + s) * 4;
    const w = context[at + 3] ?? 0;
    for (let c = 0; c < 3; c++) sum[c] = (sum[c] ?? 0) + (context[at + c] ?? 0) * w;
    weight += w;
  }
  const d = Math.max(1, weight);
  return [(sum[0] ?? 0) / d, (sum[1] ?? 0) / d, (sum[2] ?? 0) / d];
}

/** The oracle VAE decoder on an unscaled latent [batch, 4, h, w] -> image [batch, 3, 8h, 8w] in [-1, 1] space (unclamped). */
export function oracleVaeDecode(latent: Float32Array, dims: readonly [number, number, number, number]): Float32Array {
  const [batch, , h, w] = dims;
  const outW = w * 8;
  const out = new Float32Array(batch * 3 * h * 8 * outW);
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h * 8; y++) {
      for (let x = 0; x < outW; x++) {
        const src = (yy: number) => latent[((b * 4 + yy) * h + (y >> 3)) * w + (x >> 3)] ?? 0;
        for (let c = 0; c < 3; c++) {
          const row = ORACLE_DECODE_MATRIX[c] ?? [0, 0, 0, 0];
          const v = row[0] * src(0) + row[1] * src(1) + row[2] * src(2) + row[3] * src(3) + (ORACLE_DECODE_OFFSET[c] ?? 0);
          out[((b * 3 + c) * h * 8 + y) * outW + x] = v;
        }
      }
    }
  }
  return out;
}

/** The oracle VAE encoder's latent_sample (unscaled) for an image [batch, 3, H, W] in [-1, 1]. */
export function oracleVaeEncode(image: Float32Array, dims: readonly [number, number, number, number]): Float32Array {
  const [batch, , height, width] = dims;
  const h = Math.floor(height / 8);
  const w = Math.floor(width / 8);
  const out = new Float32Array(batch * 4 * h * w);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let sum = 0;
          for (let dy = 0; dy < 8; dy++) {
            for (let dx = 0; dx < 8; dx++) sum += image[((b * 3 + c) * height + y * 8 + dy) * width + x * 8 + dx] ?? 0;
          }
          out[((b * 4 + c) * h + y) * w + x] = sum / 64;
        }
      }
    }
  }
  return out;
}

/** Classifier-free guidance on the oracle's colours (x0 is affine in the colour, eps affine in x0). */
export function oracleGuidedColour(cond: Rgb, uncond: Rgb, guidance: number): Rgb {
  // diffusers only runs the unconditional branch when guidance_scale > 1.
  if (guidance <= 1) return cond;
  return [
    uncond[0] + guidance * (cond[0] - uncond[0]),
    uncond[1] + guidance * (cond[1] - uncond[1]),
    uncond[2] + guidance * (cond[2] - uncond[2]),
  ];
}

/** A decoded [-1, 1] colour as the pipeline's 8-bit output: round(clamp(x/2 + 0.5, 0, 1)·255). */
export function oracleColourToPixel(rgb: Rgb): [number, number, number] {
  const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v / 2 + 0.5)) * 255);
  return [byte(rgb[0]), byte(rgb[1]), byte(rgb[2])];
}

export interface OracleExpectation {
  /** A prompt string (matched word by word, see oracleColourOfPrompt) or its token ids. */
  prompt: string | ArrayLike<number | bigint>;
  /** The negative prompt; '' (no colour) when absent. */
  negativePrompt?: string | ArrayLike<number | bigint>;
  guidance: number;
}

function colourOf(prompt: string | ArrayLike<number | bigint>): Rgb {
  return typeof prompt === 'string' ? oracleColourOfPrompt(prompt) : oracleColour(prompt);
}

/**
 * The uniform colour a full text-to-image run on the oracle produces, as 8-bit RGB. Exact in exact
 * arithmetic for any scheduler; allow ±1 for float32 rounding along the way.
 */
export function oracleExpectedPixel(e: OracleExpectation): [number, number, number] {
  const guided = oracleGuidedColour(colourOf(e.prompt), colourOf(e.negativePrompt ?? ''), e.guidance);
  return oracleColourToPixel(guided);
}

/** oracleExpectedPixel filled over width × height, interleaved RGB (HWC). */
export function oracleExpectedImage(e: OracleExpectation & { width: number; height: number }): Uint8Array {
  const pixel = oracleExpectedPixel(e);
  const out = new Uint8Array(e.width * e.height * 3);
  for (let i = 0; i < e.width * e.height; i++) out.set(pixel, i * 3);
  return out;
}
