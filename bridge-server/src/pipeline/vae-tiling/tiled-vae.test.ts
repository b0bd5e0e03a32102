/**
 * Tiled VAE decode and encode against the untiled models on images that fit both (tiny-random
 * AutoencoderKL halves with SD's block structure). Measured and asserted: tiles partition the
 * image and their blend weights sum to one; with a single tile and the image's own statistics the
 * tiled path is the untiled one; with several tiles and whole-image GroupNorm statistics the
 * output is within 2 levels of the untiled one (a decoder without attention isolates this); across
 * seams the gradient is no larger than elsewhere (no visible seams); the attention, seen per tile,
 * is what is left (printed); below the threshold the untiled path is used, bit-identical.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chwToRgb } from '../../image/index.js';
import { rewriteGroupNormStats } from '../../onnx-rewrite/index.js';
import { OnnxModel } from '../../runtime/index.js';
import { randomVaeDecoder, randomVaeEncoder, TINY_VAE } from '../../testmodels/tinyRandom/vae.js';
import { decodeLatents, encodeImage, type VaeTiles } from '../vae.js';
import { decodeTiled } from './tiled-decode.js';
import { axisWeights, planAxis } from './tile-plan.js';
import { DEFAULT_VAE_TILING, resolveTiling, type VaeTilingOptions } from './tiling-options.js';

let dir: string;
let decoder: OnnxModel;
let decoderGn: OnnxModel;
/** The same structure without the mid-block attention: isolates what GroupNorm statistics do. */
let plainDecoder: OnnxModel;
let plainDecoderGn: OnnxModel;
let encoder: OnnxModel;
let encoderGn: OnnxModel;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-tiled-vae-'));
  await randomVaeDecoder(TINY_VAE, 'float32', 7, 2).write(path.join(dir, 'dec'));
  await randomVaeEncoder(TINY_VAE, 'float32', 'latent_parameters', 8).write(path.join(dir, 'enc'));
  await randomVaeDecoder({ ...TINY_VAE, midAttention: false }, 'float32', 7, 1).write(path.join(dir, 'plain'));
  await rewriteGroupNormStats(path.join(dir, 'dec', 'model.onnx'), path.join(dir, 'dec', 'gn.onnx'));
  await rewriteGroupNormStats(path.join(dir, 'plain', 'model.onnx'), path.join(dir, 'plain', 'gn.onnx'));
  plainDecoder = await OnnxModel.open(path.join(dir, 'plain', 'model.onnx'));
  plainDecoderGn = await OnnxModel.open(path.join(dir, 'plain', 'gn.onnx'));
  await rewriteGroupNormStats(path.join(dir, 'enc', 'model.onnx'), path.join(dir, 'enc', 'gn.onnx'));
  decoder = await OnnxModel.open(path.join(dir, 'dec', 'model.onnx'));
  decoderGn = await OnnxModel.open(path.join(dir, 'dec', 'gn.onnx'));
  encoder = await OnnxModel.open(path.join(dir, 'enc', 'model.onnx'));
  encoderGn = await OnnxModel.open(path.join(dir, 'enc', 'gn.onnx'));
});

after(async () => {
  await Promise.all([decoder, decoderGn, plainDecoder, plainDecoderGn, encoder, encoderGn].map((m) => m.release()));
  await rm(dir, { recursive: true, force: true });
});

/** A latent with large-scale structure and detail, like a generated one. */
function latentField(h: number, w: number): Float32Array {
  const out = new Float32Array(4 * h * w);
  for (let c = 0; c < 4; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        out[(c * h + y) * w + x] = 1.2 * Math.sin(x * 0.21 + c) + Math.cos(y * 0.13 * (c + 1)) + 0.8 * (y / h) - 0.5 * (x / w) * c + 0.3 * Math.sin(x * y * 0.05 + c);
      }
    }
  }
  return out;
}

function tiles(model: OnnxModel, options: Partial<VaeTilingOptions>): VaeTiles {
  return { options: resolveTiling(options), variant: async () => model };
}

test('tile plan: cores partition each axis, windows add the pad, blend weights sum to one', () => {
  for (const [length, tile, pad, blend] of [[100, 64, 16, 8], [64, 64, 16, 8], [130, 24, 8, 4], [7, 3, 2, 0]] as const) {
    const s = { tile, pad, blend };
    const axis = planAxis(length, s);
    assert.equal(axis[0]?.core0, 0);
    assert.equal(axis.at(-1)?.core1, length);
    for (let i = 0; i < axis.length; i++) {
      const t = axis[i];
      assert.ok(t && t.core1 - t.core0 <= tile && t.core1 > t.core0);
      if (i > 0) assert.equal(t.core0, axis[i - 1]?.core1);
      assert.equal(t.win0, Math.max(0, t.core0 - pad));
      assert.equal(t.win1, Math.min(length, t.core1 + pad));
    }
    const total = new Float64Array(length * 8);
    axis.forEach((t, i) => axisWeights(axis, i, blend, 8).forEach((w, j) => (total[t.win0 * 8 + j]! += w)));
    for (const v of total) assert.ok(Math.abs(v - 1) < 1e-6, `weights sum to ${v}`);
  }
});

test('one tile with the image\'s own statistics is the untiled decode', async () => {
  const [h, w] = [16, 24];
  const lat = latentField(h, w);
  const ref = chwToRgb((await decoder.run({ latent_sample: { data: lat, dims: [1, 4, h, w] } }))['sample']?.data as Float32Array, w * 8, h * 8);
  const out = await decodeTiled(decoderGn, { data: lat, channels: 4, height: h, width: w }, { ...DEFAULT_VAE_TILING, mode: 'always', tile: 24, estimateSide: 24, statsPasses: 1 }, 3);
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs((ref[i] as number) - (out[i] as number)));
  assert.ok(max <= 1, `max level difference ${max}`);
});

interface SeamReport {
  maxAway: number;
  meanAway: number;
  seamRatio: number;
  refRatio: number;
}

async function compareTiled(models: [OnnxModel, OnnxModel], o: Partial<VaeTilingOptions>, h: number, w: number): Promise<SeamReport> {
  const [decoder, decoderGn] = models;
  const lat = latentField(h, w);
  const ref = chwToRgb((await decoder.run({ latent_sample: { data: lat, dims: [1, 4, h, w] } }))['sample']?.data as Float32Array, w * 8, h * 8);
  // scaling factor 1: the latents go in as they are.
  const [image] = await decodeLatents(decoder, lat, [1, 4, h, w], 1, tiles(decoderGn, o));
  assert.ok(image);
  const blend = o.blend ?? DEFAULT_VAE_TILING.blend;
  const W = w * 8;
  const H = h * 8;
  const seams = planAxis(w, resolveTiling(o)).slice(1).map((t) => t.core0 * 8);
  const band = blend * 8;
  let maxAway = 0;
  let sumAway = 0;
  let nAway = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const near = seams.some((b) => Math.abs(x + 0.5 - b) <= band || Math.abs(y + 0.5 - b) <= band);
      for (let c = 0; c < 3; c++) {
        const d = Math.abs((image.data[(y * W + x) * 4 + c] as number) - (ref[(y * W + x) * 3 + c] as number));
        if (!near) {
          maxAway = Math.max(maxAway, d);
          sumAway += d;
          nAway++;
        }
      }
    }
  }
  const gradient = (px: (i: number) => number, columns: readonly number[]) => {
    let s = 0;
    let n = 0;
    for (const x of columns) for (let y = 0; y < H; y++) for (let c = 0; c < 3; c++, n++) s += Math.abs(px((y * W + x) * 4 + c) - px((y * W + x - 1) * 4 + c));
    return s / n;
  };
  const tiled = (i: number) => image.data[i] as number;
  const untiled = (i: number) => ref[(i >> 2) * 3 + (i & 3)] as number;
  const everywhere = Array.from({ length: W - 1 }, (_, i) => i + 1);
  return {
    maxAway,
    meanAway: sumAway / nAway,
    seamRatio: gradient(tiled, seams) / gradient(tiled, everywhere),
    refRatio: gradient(untiled, seams) / gradient(untiled, everywhere),
  };
}

function report(name: string, r: SeamReport): void {
  console.log(`# ${name}: away from seams max ${r.maxAway}, mean ${r.meanAway.toFixed(2)} levels; seam/overall gradient ${r.seamRatio.toFixed(3)} (untiled at the same columns ${r.refRatio.toFixed(3)})`);
}

const TILES = { mode: 'always' as const, tile: 24, pad: 12, blend: 4 };

test('GroupNorm statistics: exact whole-image ones meet 2 levels; the default schedule is far closer than per-tile ones', async () => {
  const models: [OnnxModel, OnnxModel] = [plainDecoder, plainDecoderGn];
  // estimateSide 64 covers the 64² latent: the estimate is the image's own statistics.
  const exact = await compareTiled(models, { ...TILES, estimateSide: 64, statsPasses: 0 }, 64, 64);
  const schedule = await compareTiled(models, { ...TILES, estimateSide: 32, statsPasses: 1 }, 64, 64);
  const perTile = await compareTiled(models, { ...TILES, statistics: 'per-tile' }, 64, 64);
  report('no attention, exact statistics', exact);
  report('no attention, estimate at 1/2 size + 1 pass', schedule);
  report('no attention, per-tile statistics', perTile);
  assert.ok(exact.maxAway <= 2, `exact statistics: max level difference ${exact.maxAway}`);
  for (const r of [exact, schedule]) assert.ok(r.seamRatio <= r.refRatio * 1.1, `gradient across seams ${r.seamRatio} vs untiled ${r.refRatio}`);
  assert.ok(schedule.meanAway < 0.5 * perTile.meanAway, `estimated ${schedule.meanAway} vs per-tile ${perTile.meanAway}`);
});

test('with the mid-block attention seen per tile (as every tiled VAE does) seams stay invisible', async () => {
  const r = await compareTiled([decoder, decoderGn], { ...TILES, estimateSide: 32, statsPasses: 1 }, 64, 64);
  report('tile-local attention, estimate at 1/2 size + 1 pass', r);
  assert.ok(r.seamRatio <= r.refRatio * 1.1, `gradient across seams ${r.seamRatio} vs untiled ${r.refRatio}`);
});

test('below the threshold the untiled path runs: bit-identical to no tiling', async () => {
  const [h, w] = [16, 16];
  const lat = latentField(h, w);
  const plain = await decodeLatents(decoder, lat, [1, 4, h, w], 0.5);
  const auto = await decodeLatents(decoder, lat, [1, 4, h, w], 0.5, tiles(decoderGn, { mode: 'auto' }));
  assert.deepEqual(auto, plain);
  const chw = new Float32Array(3 * 128 * 128).map((_, i) => Math.sin(i * 0.001));
  assert.deepEqual(await encodeImage(encoder, chw, 128, 128, tiles(encoderGn, { mode: 'auto' })), await encodeImage(encoder, chw, 128, 128));
});

test('tiled vs untiled encode: the latent distribution agrees away from seams', async () => {
  const [H, W] = [256, 256];
  const chw = new Float32Array(3 * H * W);
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) chw[(c * H + y) * W + x] = 0.8 * Math.sin(x * 0.05 + c) * Math.cos(y * 0.031);
  const ref = await encodeImage(encoder, chw, W, H);
  const got = await encodeImage(encoder, chw, W, H, tiles(encoderGn, { mode: 'always', tile: 12, pad: 8, blend: 2, estimateSide: 16 }));
  assert.deepEqual(got.dims, ref.dims);
  let sum = 0;
  let scale = 0;
  for (let i = 0; i < ref.mean.length; i++) {
    sum += Math.abs((got.mean[i] as number) - (ref.mean[i] as number));
    scale += Math.abs(ref.mean[i] as number);
  }
  console.log(`# tiled vs untiled encode (256², tiles 12+8 latent): mean |Δ| ${(sum / ref.mean.length).toFixed(4)}, mean |latent| ${(scale / ref.mean.length).toFixed(4)}`);
  assert.ok(sum / scale < 0.1, `relative latent difference ${sum / scale}`);
});
