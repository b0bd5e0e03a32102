/**
 * Every fused graph variant against its unfused twin on the real-architecture fixtures (whole small
 * SD 1.x, SD 2.x and SDXL checkpoints in their real key layouts, convert/testing/checkpoint-fixtures):
 * the UNet and the VAE decoder built 'standard' and 'fused' from the same file, run on torch's
 * reference inputs, must agree within 1e-4 of max|ref| in float32, and the fused graph must still
 * match torch. The fused graph must really contain the fused operator (else the test proves nothing).
 * Float16 weight storage in a float32 graph is checked the same way on the fp16 fixtures.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { openCheckpoint } from '../checkpoint/open-checkpoint.js';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import { checkpointFixture, type CheckpointCase, type CheckpointFixture } from '../convert/testing/checkpoint-fixtures.js';
import { relativeError } from '../convert/testing/compare.js';
import { ldmUnetWeights } from '../convert/layouts/ldm-unet.js';
import { ldmVaeWeights } from '../convert/layouts/ldm-vae.js';
import { deriveUnetConfig } from '../convert/unet-config.js';
import { deriveVaeConfig } from '../convert/vae-config.js';
import type { FloatType, OpBuilder } from '../onnx/index.js';
import { float32ArrayToFloat16, OnnxModel, type FeedValue } from '../runtime/index.js';
import type { GraphVariant } from './norms.js';
import { buildUnet } from './unet.js';
import { buildVaeDecoder } from './vae.js';

const work = await mkdtemp(join(tmpdir(), 'lb-fused-'));
after(() => rm(work, { recursive: true, force: true }));
let counter = 0;

type Component = 'unet' | 'vae_decoder';

interface Build {
  floatType: FloatType;
  variant: GraphVariant;
  weightStorage?: FloatType;
}

function build(component: Component, source: TensorSource, c: CheckpointCase, b: Build): OpBuilder {
  const family = c === 'sd1' ? 'sd1' : c === 'sd2' ? 'sd2' : 'sdxl';
  if (component === 'unet') {
    const { weights } = ldmUnetWeights(source);
    return buildUnet(deriveUnetConfig(weights, { family }), weights, b);
  }
  const { weights } = ldmVaeWeights(source, 'first_stage_model.');
  return buildVaeDecoder(deriveVaeConfig(weights, { family }), weights, b);
}

interface VariantRun {
  out: Float32Array;
  /** MultiHeadAttention nodes in the written graph. */
  fusedOps: number;
  /** Bytes of the external weights file. */
  weightBytes: number;
}

/** Writes the graph, counts its MultiHeadAttention nodes, runs it on the reference inputs. */
async function runVariant(fixture: CheckpointFixture, component: Component, c: CheckpointCase, b: Build): Promise<VariantRun> {
  const source = await openCheckpoint(join(fixture.dir, 'model.safetensors'));
  const dir = join(work, `m${counter++}`);
  try {
    await build(component, source, c, b).write(dir, 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
  } finally {
    await source.close();
  }
  const graph = (await readFile(join(dir, 'model.onnx'))).toString('latin1');
  const fusedOps = graph.split('MultiHeadAttention').length - 1;
  const weightBytes = (await stat(join(dir, 'model.onnx_data'))).size;
  const model = await OnnxModel.open(join(dir, 'model.onnx'));
  try {
    const feeds: Record<string, FeedValue> = {};
    for (const input of model.inputs) {
      const key = `${component}.in.${input.name}`;
      const entry = fixture.reference.entry(key);
      assert.ok(entry !== undefined, `reference ${key}`);
      const values = await fixture.reference.readFloat32(key);
      const data = input.dtype === 'float16' ? float32ArrayToFloat16(values) : values;
      feeds[input.name] = { data, dims: input.name === 'timestep' ? [] : [...entry.shape] };
    }
    const result = Object.values(await model.run(feeds))[0];
    assert.ok(result?.data instanceof Float32Array);
    return { out: result.data, fusedOps, weightBytes };
  } finally {
    await model.release();
    await rm(dir, { recursive: true, force: true });
  }
}

async function compareTwins(t: TestContext, c: CheckpointCase, component: Component, dtype: 'fp32' | 'fp16', tolerance: number): Promise<void> {
  const fixture = await checkpointFixture(t, c, dtype);
  if (fixture === undefined) return;
  try {
    const floatType: FloatType = dtype === 'fp16' ? 'float16' : 'float32';
    const plain = await runVariant(fixture, component, c, { floatType, variant: 'standard' });
    const fused = await runVariant(fixture, component, c, { floatType, variant: 'fused' });
    assert.equal(plain.fusedOps, 0, 'the standard graph has no fused attention');
    assert.ok(fused.fusedOps > 0, 'the fused graph has MultiHeadAttention nodes');
    const twin = relativeError(fused.out, plain.out);
    const torch = relativeError(fused.out, await fixture.reference.readFloat32(component === 'unet' ? 'unet.out.out_sample' : 'vae_decoder.out.sample'));
    t.diagnostic(`fused vs standard ${twin.toExponential(2)}, fused vs torch ${torch.toExponential(2)} of max|ref|`);
    assert.ok(twin < tolerance, `fused vs standard: ${twin}`);
    assert.ok(torch < tolerance, `fused vs torch: ${torch}`);
  } finally {
    await fixture.reference.close();
  }
}

for (const c of ['sd1', 'sd2', 'sdxl'] as const) {
  test(`${c} UNet: attention as MultiHeadAttention matches the MatMul-Softmax graph and torch within 1e-4 (fp32)`, (t) => compareTwins(t, c, 'unet', 'fp32', 1e-4));
}

test('sd1 VAE decoder: single-head mid-block attention as MultiHeadAttention matches the plain graph and torch within 1e-4 (fp32)', (t) => compareTwins(t, 'sd1', 'vae_decoder', 'fp32', 1e-4));

for (const c of ['sd2', 'sdxl'] as const) {
  test(`${c} UNet from an fp16 checkpoint: float32 compute with float16 weights on disk matches float32 weights within 1e-5 on half the bytes`, async (t) => {
    const fixture = await checkpointFixture(t, c, 'fp16');
    if (fixture === undefined) return;
    try {
      const wide = await runVariant(fixture, 'unet', c, { floatType: 'float32', variant: 'standard' });
      const half = await runVariant(fixture, 'unet', c, { floatType: 'float32', variant: 'standard', weightStorage: 'float16' });
      // The checkpoint's values are float16 already: storing them so loses nothing.
      const twin = relativeError(half.out, wide.out);
      const torch = relativeError(half.out, await fixture.reference.readFloat32('unet.out.out_sample'));
      t.diagnostic(`fp16-stored vs fp32-stored ${twin.toExponential(2)}, vs torch ${torch.toExponential(2)}; weights ${half.weightBytes} vs ${wide.weightBytes} bytes`);
      assert.ok(twin < 1e-5, `fp16-stored vs fp32-stored: ${twin}`);
      assert.ok(torch < 1e-4, `fp16-stored vs torch: ${torch}`);
      assert.ok(half.weightBytes < 0.52 * wide.weightBytes, `${half.weightBytes} bytes is about half of ${wide.weightBytes}`);
    } finally {
      await fixture.reference.close();
    }
  });
}
