import { TorchGenerator } from '../random/torch-generator.js';
import type { NoiseGenerator } from './schedulers/types.js';

/**
 * Draws noise for a batch the way diffusers' randn_tensor does. With one generator the whole batch
 * comes from one stream; with a generator per image ('per-image' seeds, diffusers' generator list),
 * each image's slice comes from its own stream, so image i equals a batch-1 run with seed+i.
 */
export class BatchNoise implements NoiseGenerator {
  private readonly generators: TorchGenerator[];

  constructor(seed: number, batch: number, mode: 'per-image' | 'shared') {
    const count = mode === 'shared' ? 1 : batch;
    this.generators = Array.from({ length: count }, (_, i) => new TorchGenerator(seed + i));
  }

  randn(shape: readonly number[]): Float32Array {
    const first = this.generators[0];
    if (this.generators.length === 1 && first) return first.randn(shape);
    const total = shape.reduce((a, b) => a * b, 1);
    const per = total / this.generators.length;
    const out = new Float32Array(total);
    this.generators.forEach((g, i) => out.set(g.randn([per]), i * per));
    return out;
  }
}
