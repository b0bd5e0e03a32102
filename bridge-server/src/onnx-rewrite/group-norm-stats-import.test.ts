/**
 * The GroupNorm-statistics rewrite on the importer's own AutoencoderKL decoder (graphs/vae.ts from
 * an LDM checkpoint's keys, narrow widths, seeded random weights), in float32 and in float16, where
 * graphs/norms.ts casts to float32 around each GroupNorm: the variant given the image's own
 * statistics reproduces the original decoder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ldmVaeWeights } from '../convert/layouts/ldm-vae.js';
import { ldmVaeKeys, ShapeSource } from '../convert/testing/shape-source.js';
import { deriveVaeConfig } from '../convert/vae-config.js';
import type { GraphVariant } from '../graphs/norms.js';
import { buildVaeDecoder } from '../graphs/vae.js';
import type { FloatType } from '../onnx/index.js';
import { groupNormCount, StatsAccumulator, statsFeeds } from '../pipeline/vae-tiling/gn-stats.js';
import { OnnxModel } from '../runtime/index.js';
import { Prng } from '../testmodels/prng.js';
import { rewriteGroupNormStats } from './index.js';

/** Keys and shapes of an LDM VAE with seeded random values (1/√fan-in), norms around 1. */
class RandomSource extends ShapeSource {
  override async readFloat32(key: string): Promise<Float32Array> {
    const e = this.entry(key);
    const shape = e?.shape ?? [];
    const n = shape.reduce((a, b) => a * b, 1);
    const rng = new Prng([...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
    const isNormWeight = /norm.*\.weight$/.test(key);
    const fanIn = shape.length > 1 ? n / (shape[0] as number) : 1;
    return rng.normals(n, shape.length > 1 ? 1 / Math.sqrt(fanIn) : 0.1, isNormWeight ? 1 : 0);
  }
}

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-gn-import-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const CASES: [FloatType, GraphVariant][] = [['float32', 'standard'], ['float16', 'standard'], ['float32', 'fused']];
for (const [floatType, graphVariant] of CASES) {
  test(`importer's VAE decoder (${floatType}, ${graphVariant} graph): the variant with the image's own statistics is the original`, async () => {
    const source = new RandomSource('model.safetensors');
    for (const [key, shape] of ldmVaeKeys('first_stage_model.', 32, [1, 2, 2], 1)) source.add(key, shape, 'F32');
    const { weights } = ldmVaeWeights(source, 'first_stage_model.');
    const config = deriveVaeConfig(weights, { family: 'sd1' });
    const out = path.join(dir, `${floatType}-${graphVariant}`);
    await buildVaeDecoder(config, weights, { floatType, variant: graphVariant }).write(out);
    await rewriteGroupNormStats(path.join(out, 'model.onnx'), path.join(out, 'gn.onnx'));
    const orig = await OnnxModel.open(path.join(out, 'model.onnx'), { threads: 1 });
    const variant = await OnnxModel.open(path.join(out, 'gn.onnx'), { threads: 1 });
    const [h, w] = [10, 14];
    const x = { data: new Float32Array(4 * h * w).map((_, i) => Math.sin(i * 0.7) * 2), dims: [1, 4, h, w] };
    const expected = (await orig.run({ latent_sample: x }))['sample']?.data as Float32Array;
    const count = groupNormCount(variant);
    const acc = new StatsAccumulator(count, undefined);
    acc.add(await variant.run({ latent_sample: x, ...statsFeeds(count, undefined, [0, 0, h, w]) }), 'estimate');
    const got = (await variant.run({ latent_sample: x, ...statsFeeds(count, acc.stats(), [0, 0, h, w]) }))['sample']?.data as Float32Array;
    let err = 0;
    let scale = 0;
    for (let i = 0; i < expected.length; i++) {
      err = Math.max(err, Math.abs((got[i] as number) - (expected[i] as number)));
      scale = Math.max(scale, Math.abs(expected[i] as number));
    }
    assert.ok(Number.isFinite(err) && err <= (floatType === 'float32' ? 1e-4 : 2e-2) * scale, `max |Δ| ${err} of max |ref| ${scale}`);
    await Promise.all([orig.release(), variant.release()]);
  });
}
