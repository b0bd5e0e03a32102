/**
 * The weights of one model component under their diffusers names, as the graph builders ask for
 * them. Every name taken is remembered, so an import can report the checkpoint tensors no module
 * used (a layout mistake or an unknown extension) instead of silently dropping them.
 */
import { BridgeError } from '@latent-bridge/shared';
import { elementCount, type LazyTensor } from './lazy-tensor.js';

export class WeightSet {
  private readonly tensors: ReadonlyMap<string, LazyTensor>;
  private readonly taken = new Set<string>();

  constructor(
    tensors: ReadonlyMap<string, LazyTensor> | Iterable<readonly [string, LazyTensor]>,
    /** Names the component for messages ("unet", "text_encoder_2"). */
    readonly component: string,
  ) {
    this.tensors = tensors instanceof Map ? tensors : new Map(tensors);
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The shape of a weight, without taking it. */
  shape(name: string): readonly number[] | undefined {
    return this.tensors.get(name)?.shape;
  }

  /**
   * The weight `name`; with `expected`, its shape must match (-1 matches any size). Missing or
   * mis-shaped weights are model_invalid errors naming the component, the weight and its origin.
   */
  get(name: string, expected?: readonly number[]): LazyTensor {
    const tensor = this.tensors.get(name);
    if (tensor === undefined) {
      throw new BridgeError('model_invalid', `${this.component}: the checkpoint has no weight for ${name}`, name);
    }
    if (expected !== undefined && !shapeMatches(tensor.shape, expected)) {
      throw new BridgeError(
        'model_invalid',
        `${this.component}: ${name} has shape [${tensor.shape.join(', ')}], expected [${expected.join(', ')}] (${tensor.origin})`,
        name,
      );
    }
    this.taken.add(name);
    return tensor;
  }

  /** Like get(), but undefined when absent (optional biases, optional projections). */
  optional(name: string, expected?: readonly number[]): LazyTensor | undefined {
    return this.tensors.has(name) ? this.get(name, expected) : undefined;
  }

  /** Names present but never taken, sorted. */
  unused(): string[] {
    return [...this.tensors.keys()].filter((n) => !this.taken.has(n)).sort();
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** Parameters of every weight (for reports and memory estimates). */
  parameterCount(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += elementCount(t.shape);
    return n;
  }
}

function shapeMatches(actual: readonly number[], expected: readonly number[]): boolean {
  return actual.length === expected.length && expected.every((d, i) => d === -1 || d === actual[i]);
}
