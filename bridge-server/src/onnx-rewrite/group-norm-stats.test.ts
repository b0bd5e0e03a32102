/**
 * The GroupNorm-statistics rewrite on real VAE graphs (the project's tiny-random AutoencoderKL
 * halves, GroupNorm as torch.onnx writes it): with α = 0 the variant computes exactly what the
 * original does; given the whole image's statistics (from its own sums) it reproduces the original
 * within float32 rounding; the sums over a box are the sums over that box at each resolution.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { OnnxModel, type FeedValue } from '../runtime/index.js';
import { randomVaeDecoder, randomVaeEncoder, TINY_VAE } from '../testmodels/tinyRandom/vae.js';
import { gnMeanInput, gnSumsOutput, gnVarInput, GN_ALPHA_INPUT, GN_BOX_INPUT, groupNormStatsCopy, rewriteGroupNormStats } from './index.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-gn-stats-'));
  await randomVaeDecoder(TINY_VAE, 'float32', 3, 2).write(path.join(dir, 'dec'));
  await randomVaeEncoder(TINY_VAE, 'float32', 'latent_parameters', 4).write(path.join(dir, 'enc'));
});
after(() => rm(dir, { recursive: true, force: true }));

function field(h: number, w: number, c: number, seed: number): Float32Array {
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) out[(ch * h + y) * w + x] = Math.sin(x * 0.3 + seed + ch) + Math.cos(y * 0.17 * (ch + 1)) + 0.4 * Math.sin(x * y * 0.07 + seed);
    }
  }
  return out;
}

function statsFeeds(count: number, alpha: number, box: number[], stats?: { mean: Float32Array[]; variance: Float32Array[] }): Record<string, FeedValue> {
  const feeds: Record<string, FeedValue> = {
    [GN_ALPHA_INPUT]: { data: new Float32Array([alpha]), dims: [1] },
    [GN_BOX_INPUT]: { data: BigInt64Array.from(box, BigInt), dims: [4] },
  };
  for (let k = 0; k < count; k++) {
    const m = stats?.mean[k] ?? new Float32Array(1);
    const v = stats?.variance[k] ?? new Float32Array(1);
    feeds[gnMeanInput(k)] = { data: m, dims: [m.length] };
    feeds[gnVarInput(k)] = { data: v, dims: [v.length] };
  }
  return feeds;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

for (const half of ['dec', 'enc'] as const) {
  test(`${half}: α = 0 is the original (to float32 rounding); the image's own statistics given back reproduce it`, async () => {
    const src = path.join(dir, half, 'model.onnx');
    const { groupNorms } = await rewriteGroupNormStats(src, path.join(dir, half, 'gn.onnx'));
    // tiny AutoencoderKL: 2 per ResNet, 1 in the attention, 1 before conv_out.
    assert.equal(groupNorms, half === 'dec' ? 2 * (2 + 4 * 2) + 1 + 1 : 2 * (2 + 4) + 1 + 1);
    const orig = await OnnxModel.open(src, { threads: 1 });
    const variant = await OnnxModel.open(path.join(dir, half, 'gn.onnx'), { threads: 1 });
    const [input, c, h, w] = half === 'dec' ? ['latent_sample', 4, 12, 20] as const : ['sample', 3, 96, 160] as const;
    const output = half === 'dec' ? 'sample' : 'latent_parameters';
    const x = { data: field(h, w, c, 1), dims: [1, c, h, w] };
    const expected = (await orig.run({ [input]: x }))[output]?.data as Float32Array;
    const local = await variant.run({ [input]: x, ...statsFeeds(groupNorms, 0, [0, 0, h, w]) });
    const localErr = maxDiff(local[output]?.data as Float32Array, expected);
    assert.ok(localErr < 1e-4, `α = 0: max |Δ| ${localErr}`);
    const mean: Float32Array[] = [];
    const variance: Float32Array[] = [];
    for (let k = 0; k < groupNorms; k++) {
      const sums = local[gnSumsOutput(k)];
      assert.ok(sums);
      const g = sums.dims[1] as number;
      assert.equal(g, TINY_VAE.groups);
      const d = sums.data as Float32Array;
      const m = new Float32Array(g);
      const v = new Float32Array(g);
      for (let i = 0; i < g; i++) {
        const n = d[2 * g + i] as number;
        m[i] = (d[i] as number) / n;
        v[i] = (d[g + i] as number) / n - (m[i] as number) ** 2;
      }
      mean.push(m);
      variance.push(v);
    }
    const given = await variant.run({ [input]: x, ...statsFeeds(groupNorms, 1, [0, 0, h, w], { mean, variance }) });
    const err = maxDiff(given[output]?.data as Float32Array, expected);
    assert.ok(err < 1e-3, `given statistics: max |Δ| ${err}`);
    await Promise.all([orig.release(), variant.release()]);
  });
}

test('sums cover the box scaled to each GroupNorm resolution: the counts of four quarter boxes add to the whole', async () => {
  const file = path.join(dir, 'dec', 'gn.onnx');
  await rewriteGroupNormStats(path.join(dir, 'dec', 'model.onnx'), file);
  const variant = await OnnxModel.open(file, { threads: 1 });
  const [h, w] = [8, 12];
  const x = { data: field(h, w, 4, 2), dims: [1, 4, h, w] };
  let k = 0;
  while (variant.input(gnMeanInput(k)) !== undefined) k++;
  const all = await variant.run({ latent_sample: x, ...statsFeeds(k, 0, [0, 0, h, w]) });
  const quarters = await Promise.all(
    [
      [0, 0, 3, 5],
      [0, 5, 3, 12],
      [3, 0, 8, 5],
      [3, 5, 8, 12],
    ].map((b) => variant.run({ latent_sample: x, ...statsFeeds(k, 0, b) })),
  );
  for (let i = 0; i < k; i++) {
    const whole = all[gnSumsOutput(i)]?.data as Float32Array;
    const parts = quarters.map((q) => q[gnSumsOutput(i)]?.data as Float32Array);
    for (let j = 0; j < whole.length; j++) {
      const sum = parts.reduce((s, p) => s + (p[j] as number), 0);
      assert.ok(Math.abs(sum - (whole[j] as number)) <= 1e-3 * Math.max(1, Math.abs(whole[j] as number)), `GroupNorm ${i} entry ${j}: ${sum} vs ${whole[j]}`);
    }
  }
  await variant.release();
});

test('the variant copy is written beside the model once and rewritten when the model changes', async () => {
  const src = path.join(dir, 'dec', 'model.onnx');
  const copy = await groupNormStatsCopy(src);
  assert.equal(copy, path.join(dir, 'dec', 'model.gn-stats.onnx'));
  const first = await stat(copy);
  assert.equal(await groupNormStatsCopy(src), copy);
  assert.equal((await stat(copy)).mtimeMs, first.mtimeMs, 'a fresh copy is reused');
});
