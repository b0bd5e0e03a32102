/**
 * OpBuilder: one method per ONNX (opset 17) operator the graphs use, each returning the
 * output value name, so model files read like the forward pass they encode. Constant operands
 * (axes, shapes, scalars) are plain numbers here and become shared initializers.
 */
import { GraphBuilder } from './graph-builder.js';
import { dataTypeCode, type OnnxDataType } from './onnx-proto.js';

export interface ConvOptions {
  strides?: readonly [number, number];
  /** [top, left, bottom, right], ONNX order. */
  pads?: readonly [number, number, number, number];
}

export class OpBuilder extends GraphBuilder {
  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }

  max(a: string, b: string): string {
    return this.op('Max', [a, b]);
  }

  matmul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }

  /** x * c for a scalar c in the graph's float type. */
  scale(x: string, c: number): string {
    return this.mul(x, this.float(c));
  }

  sqrt(x: string): string {
    return this.op('Sqrt', [x]);
  }

  exp(x: string): string {
    return this.op('Exp', [x]);
  }

  sin(x: string): string {
    return this.op('Sin', [x]);
  }

  cos(x: string): string {
    return this.op('Cos', [x]);
  }

  erf(x: string): string {
    return this.op('Erf', [x]);
  }

  floor(x: string): string {
    return this.op('Floor', [x]);
  }

  ceil(x: string): string {
    return this.op('Ceil', [x]);
  }

  sigmoid(x: string): string {
    return this.op('Sigmoid', [x]);
  }

  /** x * sigmoid(x), as torch.onnx exports SiLU before opset 20. */
  silu(x: string): string {
    return this.mul(x, this.sigmoid(x));
  }

  /** Exact GELU decomposed with Erf, as exports below opset 20 write it. */
  gelu(x: string): string {
    const inner = this.erf(this.scale(x, Math.SQRT1_2));
    return this.mul(this.scale(x, 0.5), this.add(inner, this.float(1)));
  }

  /** CLIP's quick_gelu: x * sigmoid(1.702 x). */
  quickGelu(x: string): string {
    return this.mul(x, this.sigmoid(this.scale(x, 1.702)));
  }

  cast(x: string, to: OnnxDataType): string {
    return this.op('Cast', [x], { to: dataTypeCode(to) });
  }

  /** Clip with bounds in the graph's float type. */
  clip(x: string, min: number, max: number): string {
    return this.op('Clip', [x, this.float(min), this.float(max)]);
  }

  shape(x: string): string {
    return this.op('Shape', [x]);
  }

  /** Dimension `axis` of x's shape as an int64 scalar. */
  dim(x: string, axis: number): string {
    return this.gather(this.shape(x), this.int64(axis), 0);
  }

  reshape(x: string, shape: string | readonly number[]): string {
    return this.op('Reshape', [x, typeof shape === 'string' ? shape : this.int64(shape)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm });
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.op('Unsqueeze', [x, this.int64(axes)]);
  }

  squeeze(x: string, axes: readonly number[]): string {
    return this.op('Squeeze', [x, this.int64(axes)]);
  }

  concat(values: readonly string[], axis: number): string {
    return this.op('Concat', values, { axis });
  }

  slice(x: string, starts: readonly number[], ends: readonly number[], axes: readonly number[]): string {
    return this.op('Slice', [x, this.int64(starts), this.int64(ends), this.int64(axes)]);
  }

  /** Slice with a computed (int64 [1]) end, e.g. a sequence length. */
  sliceTo(x: string, end: string, axis: number): string {
    return this.op('Slice', [x, this.int64([0]), end, this.int64([axis])]);
  }

  /** Split into two parts of the given sizes along `axis`. */
  split2(x: string, first: number, second: number, axis: number): [string, string] {
    const [a, b] = this.node('Split', [x, this.int64([first, second])], { axis }, 2);
    if (a === undefined || b === undefined) throw new Error('Split: missing outputs');
    return [a, b];
  }

  gather(data: string, indices: string, axis: number): string {
    return this.op('Gather', [data, indices], { axis });
  }

  range(start: string, limit: string, delta: string): string {
    return this.op('Range', [start, limit, delta]);
  }

  greater(a: string, b: string): string {
    return this.op('Greater', [a, b]);
  }

  where(condition: string, a: string, b: string): string {
    return this.op('Where', [condition, a, b]);
  }

  argMax(x: string, axis: number, keepdims: boolean): string {
    return this.op('ArgMax', [x], { axis, keepdims: keepdims ? 1 : 0 });
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.int64(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.op('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  softmax(x: string, axis: number): string {
    return this.op('Softmax', [x], { axis });
  }

  layerNormalization(x: string, scale: string, bias: string, epsilon: number): string {
    return this.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: epsilon } });
  }

  instanceNormalization(x: string, scale: string, bias: string, epsilon: number): string {
    return this.op('InstanceNormalization', [x, scale, bias], { epsilon: { float: epsilon } });
  }

  conv(x: string, weight: string, bias: string | undefined, options: ConvOptions = {}): string {
    const attributes: Record<string, readonly number[]> = {};
    if (options.strides !== undefined) attributes['strides'] = options.strides;
    if (options.pads !== undefined) attributes['pads'] = options.pads;
    return this.op('Conv', bias === undefined ? [x, weight] : [x, weight, bias], attributes);
  }

  averagePool(x: string, kernel: number): string {
    return this.op('AveragePool', [x], { kernel_shape: [kernel, kernel], strides: [kernel, kernel] });
  }

  /** Nearest-neighbour upsampling by an integer factor, as torch exports F.interpolate(mode="nearest"). */
  upsampleNearest(x: string, factor: number): string {
    return this.op('Resize', [x, '', this.constant('float32', [1, 1, factor, factor])], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });
  }

  /**
   * onnxruntime's contrib MultiHeadAttention (com.microsoft, opset 1): softmax(q·kᵀ·scale)·v per
   * head for query [B, S, heads·d] and key, value [B, T, heads·d], output [B, S, heads·d]; scale
   * defaults to 1/√d. Not an ONNX standard operator: only onnxruntime runs it (CPU, CUDA, DirectML).
   */
  multiHeadAttention(q: string, k: string, v: string, heads: number): string {
    this.useOpset('com.microsoft', 1);
    const [out] = this.node('MultiHeadAttention', [q, k, v], { num_heads: heads }, 1, 'MultiHeadAttention', 'com.microsoft');
    return out ?? '';
  }

  randomNormalLike(x: string, seed: number): string {
    return this.op('RandomNormalLike', [x], { seed: { float: seed } });
  }
}
