import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StoredDType, TensorEntry, TensorSource } from '../checkpoint/tensor-source.js';
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../numeric/float16.js';
import { OnnxModel } from '../runtime/index.js';
import { fromSource, rowSlice, transposed2d } from './lazy-tensor.js';
import { OpBuilder } from './ops.js';
import { WeightSet } from './weight-set.js';

/** An in-memory checkpoint that counts reads, to show weights are read once and only when written. */
class MemorySource implements TensorSource {
  readonly file = 'memory.safetensors';
  readonly metadata = {};
  reads = 0;
  private readonly tensors = new Map<string, { entry: TensorEntry; bytes: Uint8Array }>();

  add(key: string, shape: number[], values: Float32Array, dtype: StoredDType = 'F32'): void {
    const typed = dtype === 'F16' ? float32ArrayToFloat16(values) : values;
    const bytes = new Uint8Array(typed.buffer.slice(typed.byteOffset, typed.byteOffset + typed.byteLength));
    this.tensors.set(key, { entry: { key, dtype, shape, byteLength: bytes.length }, bytes });
  }
  keys(): string[] {
    return [...this.tensors.keys()];
  }
  entry(key: string): TensorEntry | undefined {
    return this.tensors.get(key)?.entry;
  }
  async readRaw(key: string): Promise<Uint8Array> {
    this.reads++;
    const t = this.tensors.get(key);
    if (t === undefined) throw new Error(key);
    return t.bytes.slice();
  }
  async readFloat32(key: string): Promise<Float32Array> {
    const raw = await this.readRaw(key);
    const dtype = this.tensors.get(key)?.entry.dtype;
    return dtype === 'F16' ? float16ArrayToFloat32(new Uint16Array(raw.buffer)) : new Float32Array(raw.buffer);
  }
  async close(): Promise<void> {}
}

function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

/** y[b, o] = Σ_i x[b, i] · W[o, i] + bias[o], torch Linear semantics. */
function linear(x: Float32Array, w: Float32Array, bias: Float32Array, rows: number, inF: number, outF: number): Float32Array {
  const y = new Float32Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let sum = bias[o] ?? 0;
      for (let i = 0; i < inF; i++) sum += (x[r * inF + i] ?? 0) * (w[o * inF + i] ?? 0);
      y[r * outF + o] = sum;
    }
  }
  return y;
}

const IN = 40;
const OUT = 24;

function packedSource(dtype: StoredDType): { source: MemorySource; packed: Float32Array; bias: Float32Array } {
  const source = new MemorySource();
  const packed = seeded(3 * OUT * IN, 7);
  const bias = seeded(OUT, 11);
  source.add('attn.in_proj_weight', [3 * OUT, IN], packed, dtype);
  source.add('attn.bias', [OUT], bias, dtype);
  return { source, packed, bias };
}

/** The k rows of OpenCLIP's packed q/k/v, as a Linear: proves rowSlice + transposed2d + lazy writing. */
function buildKeyProjection(source: MemorySource, floatType: 'float32' | 'float16'): OpBuilder {
  const g = new OpBuilder('lazy_test', floatType);
  const weights = new WeightSet(
    [
      ['to_k.weight', rowSlice(fromSource(source, 'attn.in_proj_weight'), OUT, OUT)],
      ['to_k.bias', fromSource(source, 'attn.bias')],
    ],
    'test',
  );
  const x = g.input('x', floatType, ['batch', IN]);
  const w = g.param('to_k.weight', transposed2d(weights.get('to_k.weight', [OUT, IN])));
  const y = g.add(g.matmul(x, w), g.param('to_k.bias', weights.get('to_k.bias', [OUT])));
  g.output(y, 'y', floatType, ['batch', OUT]);
  assert.deepEqual(weights.unused(), []);
  return g;
}

test('lazy weights are read once, at write time, streamed to external data, and run in onnxruntime', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lb-onnx-'));
  try {
    const { source, packed, bias } = packedSource('F32');
    const g = buildKeyProjection(source, 'float32');
    assert.equal(source.reads, 0, 'building the graph reads nothing');
    const progress: number[] = [];
    const files = await g.write(dir, 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 64 }, {
      onProgress: (done, total) => progress.push(done / total),
    });
    assert.equal(source.reads, 2);
    assert.equal(progress.at(-1), 1);
    assert.equal(files.length, 2);
    assert.ok((await stat(join(dir, 'model.onnx_data'))).size >= OUT * IN * 4);

    const model = await OnnxModel.open(join(dir, 'model.onnx'));
    const x = seeded(3 * IN, 3);
    const out = await model.run({ x: { data: x, dims: [3, IN] } });
    const expected = linear(x, packed.subarray(OUT * IN, 2 * OUT * IN), bias, 3, IN, OUT);
    const y = out['y']?.data as Float32Array;
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs((y[i] ?? 0) - (expected[i] ?? 0)) < 1e-5, `y[${i}]`);
    await model.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fp16 checkpoint weights reach an fp16 graph as their stored bits', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lb-onnx-'));
  try {
    const { source, packed } = packedSource('F16');
    const g = buildKeyProjection(source, 'float16');
    await g.write(dir, 'model.onnx', { location: 'weights.pb', thresholdBytes: 64 });
    const data = new Uint16Array((await readFile(join(dir, 'weights.pb'))).buffer);
    // The transposed k rows: element [i, o] of the stored matrix is W[o, i] of the checkpoint.
    const bits = float32ArrayToFloat16(packed);
    for (const [i, o] of [[0, 0], [3, 5], [IN - 1, OUT - 1]] as const) {
      assert.equal(data[i * OUT + o], bits[(OUT + o) * IN + i]);
    }
    const model = await OnnxModel.open(join(dir, 'model.onnx'));
    const out = await model.run({ x: { data: new Float32Array(IN).fill(0.25), dims: [1, IN] } });
    assert.equal(out['y']?.dims.join(','), `1,${OUT}`);
    await model.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a write stops at an abort, and a missing or mis-shaped weight names itself', async () => {
  const { source } = packedSource('F32');
  const weights = new WeightSet([['a.weight', fromSource(source, 'attn.bias')]], 'unet');
  assert.throws(() => weights.get('b.weight'), /unet: the checkpoint has no weight for b\.weight/);
  assert.throws(() => weights.get('a.weight', [OUT, 1]), /a\.weight has shape \[24\], expected \[24, 1\] \(memory\.safetensors: attn\.bias\)/);
  const g = buildKeyProjection(source, 'float32');
  const controller = new AbortController();
  controller.abort(new Error('stop'));
  const dir = await mkdtemp(join(tmpdir(), 'lb-onnx-'));
  try {
    await assert.rejects(g.write(dir, 'model.onnx', undefined, { signal: controller.signal }), /stop/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
