/**
 * GPU execution providers against the CPU on the same graphs: a UNet (the project's tiny-random test
 * model) and the fused attention operator the 'fused' graphs use (com.microsoft MultiHeadAttention).
 * Each provider that cannot open a session on this machine is skipped with the reason printed
 * (onnxruntime-node here has only what `npm ci` installed: see the README's GPU section).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { OpBuilder } from '../onnx/ops.js';
import { makeTestModel } from '../testmodels/index.js';
import { OnnxModel, type FeedValue } from './index.js';
import type { ExecutionProvider } from './providers.js';

const dir = await mkdtemp(join(tmpdir(), 'lb-providers-'));
after(() => rm(dir, { recursive: true, force: true }));

const GPU_PROVIDERS: ExecutionProvider[] = ['cuda', 'dml', 'coreml'];

function pattern(n: number, k: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k));
}

async function attentionModel(): Promise<string> {
  const g = new OpBuilder('mha');
  const q = g.input('q', 'float32', [2, 16, 32]);
  const k = g.input('k', 'float32', [2, 8, 32]);
  const v = g.input('v', 'float32', [2, 8, 32]);
  g.output(g.multiHeadAttention(q, k, v, 4), 'out', 'float32', [2, 16, 32]);
  await g.write(join(dir, 'mha'), 'model.onnx');
  return join(dir, 'mha', 'model.onnx');
}

async function cases(): Promise<{ file: string; feeds: Record<string, FeedValue> }[]> {
  await makeTestModel('tiny-random', join(dir, 'tiny'), {});
  const unet = await OnnxModel.open(join(dir, 'tiny', 'unet', 'model.onnx'));
  const feeds: Record<string, FeedValue> = {};
  for (const input of unet.inputs) {
    const named: Record<string, number> = { batch: 2, channels: 4, height: 8, width: 8, sequence: 7 };
    const dims = input.dims.map((d) => (typeof d === 'number' ? d : (named[d] ?? 8)));
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[input.name] = input.dtype === 'int64' ? { data: BigInt64Array.from({ length: n }, () => 500n), dims } : { data: pattern(n, 1), dims };
  }
  await unet.release();
  return [
    { file: join(dir, 'tiny', 'unet', 'model.onnx'), feeds },
    { file: await attentionModel(), feeds: { q: { data: pattern(1024, 2), dims: [2, 16, 32] }, k: { data: pattern(512, 3), dims: [2, 8, 32] }, v: { data: pattern(512, 4), dims: [2, 8, 32] } } },
  ];
}

async function outputs(file: string, feeds: Record<string, FeedValue>, provider: ExecutionProvider): Promise<Float32Array> {
  const model = await OnnxModel.open(file, { provider });
  try {
    const out = Object.values(await model.run(feeds))[0]?.data;
    assert.ok(out instanceof Float32Array);
    return out;
  } finally {
    await model.release();
  }
}

for (const provider of GPU_PROVIDERS) {
  test(`${provider}: the UNet and fused attention match the CPU provider within 1e-3`, async (t) => {
    const all = await cases();
    const probe = await OnnxModel.open(all[1]?.file ?? '', { provider }).catch((e: unknown) => e);
    if (!(probe instanceof OnnxModel)) {
      assert.ok(probe instanceof BridgeError && probe.code === 'execution_provider_unavailable', `unexpected failure: ${String(probe)}`);
      t.skip(`${provider} is not available here: ${probe.message.split('. ')[0] ?? ''}`);
      return;
    }
    await probe.release();
    for (const c of all) {
      const cpu = await outputs(c.file, c.feeds, 'cpu');
      const gpu = await outputs(c.file, c.feeds, provider);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < cpu.length; i++) {
        worst = Math.max(worst, Math.abs((gpu[i] ?? Number.NaN) - (cpu[i] ?? 0)));
        scale = Math.max(scale, Math.abs(cpu[i] ?? 0));
      }
      t.diagnostic(`${c.file}: max error ${(worst / scale).toExponential(2)} of max|cpu|`);
      assert.ok(worst / scale < 1e-3, `${provider} vs cpu on ${c.file}: ${worst / scale}`);
    }
  });
}
