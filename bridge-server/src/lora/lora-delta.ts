/**
 * The merge itself, as kohya's sd-scripts does it: W' = W + multiplier · (alpha / rank) · up · down,
 * with conv kernels flattened (down [r, in, kh, kw] → [r, in·kh·kw], up [out, r, 1, 1] → [out, r]),
 * alpha = rank when the file stores none. Computed in float32, one output row at a time, so a
 * full-size weight needs no second buffer of its size.
 */
import { elementCount } from '../onnx/lazy-tensor.js';
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

/** Adds every module's delta into `weight` (float32 values of a [out, K] weight in `layout`). */
export async function addLoraDeltas(weight: Float32Array, out: number, layout: WeightLayout, modules: readonly WeightedModule[]): Promise<void> {
  const inner = weight.length / out;
  for (const { module, multiplier } of modules) {
    if (multiplier === 0) continue;
    const rank = module.rank;
    const down = await module.down.read('float32');
    const up = await module.up.read('float32');
    if (down.length !== rank * inner || up.length !== out * rank || elementCount(module.up.shape) !== out * rank) {
      throw new RangeError(`${module.key}: [${module.up.shape.join(',')}]·[${module.down.shape.join(',')}] does not make a [${out}, ${inner}] weight`);
    }
    const scale = loraScale(module, multiplier);
    const row = new Float32Array(inner);
    for (let o = 0; o < out; o++) {
      row.fill(0);
      for (let k = 0; k < rank; k++) {
        const a = (up[o * rank + k] as number) * scale;
        if (a === 0) continue;
        const d = k * inner;
        for (let j = 0; j < inner; j++) row[j] = (row[j] as number) + a * (down[d + j] as number);
      }
      if (layout === 'rows') {
        const base = o * inner;
        for (let j = 0; j < inner; j++) weight[base + j] = (weight[base + j] as number) + (row[j] as number);
      } else {
        for (let j = 0; j < inner; j++) weight[j * out + o] = (weight[j * out + o] as number) + (row[j] as number);
      }
    }
  }
}
