/**
 * A module's parameters as the graph builders ask for them: a WeightSet keyed by diffusers names
 * and the dotted path of the torch module being built ("encoder.down_blocks.0.resnets.1"). Each
 * block takes the Params of its own module, so builders read like the torch modules they mirror
 * and every initializer keeps its torch parameter name.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { OpBuilder } from '../onnx/ops.js';
import { transposed2d } from '../onnx/lazy-tensor.js';
import type { WeightSet } from '../onnx/weight-set.js';

export class Params {
  constructor(
    readonly g: OpBuilder,
    readonly weights: WeightSet,
    /** The module's dotted path; '' for the model itself. */
    readonly path = '',
  ) {}

  /** The full parameter name of `name` in this module. */
  name(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  /** The Params of a submodule. */
  at(name: string): Params {
    return new Params(this.g, this.weights, this.name(name));
  }

  /** Builds a submodule: its nodes are scoped under its name, its parameters read from its path. */
  module<T>(name: string, build: (p: Params) => T): T {
    return this.g.scope(name, () => build(this.at(name)));
  }

  has(name: string): boolean {
    return this.weights.has(this.name(name));
  }

  /** The shape of parameter `name`, or undefined when the checkpoint lacks it. */
  shape(name: string): readonly number[] | undefined {
    return this.weights.shape(this.name(name));
  }

  /** Parameter `name` as an initializer in the graph's float type; its shape must be `shape` (-1: any). */
  tensor(name: string, shape: readonly number[]): string {
    const full = this.name(name);
    return this.g.param(full, this.weights.get(full, shape));
  }

  /** Like tensor(), or undefined when absent. */
  optional(name: string, shape: readonly number[]): string | undefined {
    return this.has(name) ? this.tensor(name, shape) : undefined;
  }

  /**
   * A torch Linear weight [out, in] stored transposed as [in, out], the right operand of MatMul (as
   * torch.onnx folds it), under the torch name.
   */
  linearWeight(name: string, outFeatures: number, inFeatures: number): string {
    const full = this.name(name);
    return this.g.param(full, transposed2d(this.weights.get(full, [outFeatures, inFeatures])));
  }
}

const LISTED = 8;

/**
 * Throws model_invalid naming the weights a graph never took: they belong to no module of the
 * architecture the config describes, and would otherwise be lost without a word.
 */
export function assertAllUsed(unused: readonly string[], component: string): void {
  if (unused.length === 0) return;
  const shown = unused.slice(0, LISTED).join(', ');
  const more = unused.length > LISTED ? ` and ${unused.length - LISTED} more` : '';
  throw new BridgeError('model_invalid', `${component}: ${unused.length} weight(s) fit no module of the architecture: ${shown}${more}`, unused[0]);
}
