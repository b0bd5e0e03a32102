/**
 * The merge itself, as kohya's sd-scripts does it: W' = W + multiplier · (alpha / rank) · up · down,
 * with conv kernels flattened (down [r, in, kh, kw] → [r, in·kh·kw], up [out, r, 1, 1] → [out, r]),
 * alpha = rank when the file stores none. Every module adding into one weight is stacked into one
 * product (ups side by side, downs one above the other) and computed by onnxruntime's Gemm, which
 * is many times faster than a JavaScript loop on a full-size model's weights.
 */
import { writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphBuilder } from '../onnx/index.js';
import { OnnxModel } from '../runtime/index.js';
import type { LoraModule } from './lora-file.js';

/** One module applied at one strength. */
export interface WeightedModule {
  module: LoraModule;
  multiplier: number;
}

/** The factor kohya puts in front of up · down. */
export function loraScale(module: LoraModule, multiplier: number): number {
  return (multiplier * (module.alpha ?? module.rank)) / module.rank;
}

/**
 * How the weight lies in memory: `rows` = torch's [out, in(, kh, kw)] (and ONNX Conv weights);
 * `transposed` = [in, out], a Linear weight as the MatMul's right operand.
 */
export type WeightLayout = 'rows' | 'transposed';

let gemm: Promise<OnnxModel> | undefined;

/** Y = A·B + C with any sizes, opened once per process. */
function gemmModel(): Promise<OnnxModel> {
  gemm ??= (async () => {
    const g = new GraphBuilder('lora_merge');
    const a = g.input('a', 'float32', ['m', 'r']);
    const b = g.input('b', 'float32', ['r', 'n']);
    const c = g.input('c', 'float32', ['m', 'n']);
    g.output(g.op('Gemm', [a, b, c]), 'y', 'float32', ['m', 'n']);
    const file = path.join(tmpdir(), `latent-bridge-lora-merge-${process.pid}-${Date.now()}.onnx`);
    await writeFile(file, g.serialize().model);
    try {
      return await OnnxModel.open(file, { label: 'lora merge' });
    } finally {
      await rm(file, { force: true });
    }
  })();
  gemm.catch(() => {
    gemm = undefined;
  });
  return gemm;
}

/** [rows, cols] → [cols, rows]. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c] as number;
  return t;
}

/** `weight` (float32 values of an [out, K] weight in `layout`) with every module's delta added. */
export async function mergeLoraDeltas(weight: Float32Array, out: number, layout: WeightLayout, modules: readonly WeightedModule[]): Promise<Float32Array> {
  const active = modules.filter((m) => m.multiplier !== 0);
  if (active.length === 0) return weight;
  const inner = weight.length / out;
  const rank = active.reduce((n, m) => n + m.module.rank, 0);
  // ups = [s₁·up₁ | s₂·up₂ | …] as [out, R]; downs = [down₁; down₂; …] as [R, K].
  const ups = new Float32Array(out * rank);
  const downs = new Float32Array(rank * inner);
  let at = 0;
  for (const { module, multiplier } of active) {
    const r = module.rank;
    const down = await module.down.read('float32');
    const up = await module.up.read('float32');
    if (down.length !== r * inner || up.length !== out * r) {
      throw new RangeError(`${module.key}: [${module.up.shape.join(',')}]·[${module.down.shape.join(',')}] does not make a [${out}, ${inner}] weight`);
    }
    const scale = loraScale(module, multiplier);
    for (let o = 0; o < out; o++) for (let k = 0; k < r; k++) ups[o * rank + at + k] = (up[o * r + k] as number) * scale;
    downs.set(down, at * inner);
    at += r;
  }
  const model = await gemmModel();
  // rows: W + ups·downs; transposed (Wᵀ stored): Wᵀ + downsᵀ·upsᵀ.
  const [a, b, dims] =
    layout === 'rows'
      ? [{ data: ups, dims: [out, rank] }, { data: downs, dims: [rank, inner] }, [out, inner]]
      : [{ data: transpose(downs, rank, inner), dims: [inner, rank] }, { data: transpose(ups, out, rank), dims: [rank, out] }, [inner, out]];
  const result = await model.run({ a, b, c: { data: weight, dims } });
  const y = result['y']?.data;
  if (!(y instanceof Float32Array) || y.length !== weight.length) throw new Error('lora merge: Gemm gave no float32 result of the weight\'s size');
  return y;
}
