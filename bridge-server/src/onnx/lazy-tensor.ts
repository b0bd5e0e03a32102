/**
 * Weights that are read only when a graph is written, one at a time, so an importer holds one
 * tensor in memory instead of a whole checkpoint. Reshapes, transposes and slices are pure data
 * movement: they work on float16 bit patterns as well as on float32 values, so an fp16 checkpoint
 * written as an fp16 graph never goes through float32.
 */
import { float16ArrayToFloat32, float32ArrayToFloat16 } from '../numeric/float16.js';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import { weightBuffers } from './weight-buffers.js';

export type WeightType = 'float32' | 'float16';
/** Float32 values, or float16 bit patterns. */
export type WeightData = Float32Array | Uint16Array;

export interface LazyTensor {
  readonly shape: readonly number[];
  /** Where the values come from, for messages ("model.safetensors: first_stage_model.decoder.conv_in.weight"). */
  readonly origin: string;
  read(type: 'float32'): Promise<Float32Array>;
  read(type: 'float16'): Promise<Uint16Array>;
  read(type: WeightType): Promise<WeightData>;
}
// read() hands over an array the caller owns: no producer keeps a reference to what it returns, so
// a graph writer may give it back to weightBuffers once written.

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function convert(data: WeightData, type: WeightType): WeightData {
  if (type === 'float32') return data instanceof Float32Array ? data : float16ArrayToFloat32(data);
  return data instanceof Uint16Array ? data : float32ArrayToFloat16(data);
}

/** Wraps a reader in the overloads LazyTensor declares. */
function lazy(shape: readonly number[], origin: string, read: (type: WeightType) => Promise<WeightData>): LazyTensor {
  return { shape, origin, read: read as LazyTensor['read'] };
}

/** A tensor of a checkpoint file; F16 data reaches an fp16 graph as its stored bits. */
export function fromSource(source: TensorSource, key: string): LazyTensor {
  const entry = source.entry(key);
  if (entry === undefined) throw new RangeError(`${source.file} has no tensor ${key}`);
  return lazy(entry.shape, `${source.file}: ${key}`, async (type) => {
    if (type === 'float16' && entry.dtype === 'F16') {
      if (source.readRawInto !== undefined) {
        const bits = weightBuffers.uint16(entry.byteLength / 2);
        await source.readRawInto(key, new Uint8Array(bits.buffer, 0, entry.byteLength));
        return bits;
      }
      return bitsOf(await source.readRaw(key));
    }
    if (type === 'float32' && source.readFloat32Into !== undefined) {
      return source.readFloat32Into(key, weightBuffers.float32(elementCount(entry.shape)));
    }
    return convert(await source.readFloat32(key), type);
  });
}

function bitsOf(raw: Uint8Array): Uint16Array {
  if (raw.byteOffset % 2 === 0) return new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  return new Uint16Array(raw.slice().buffer);
}

/** Values held in memory (constants the importer computes, test data). */
export function fromValues(shape: readonly number[], values: Float32Array, origin = 'computed'): LazyTensor {
  if (values.length !== elementCount(shape)) throw new RangeError(`${origin}: ${values.length} values for shape [${shape.join(',')}]`);
  // A copy each time: the caller owns what read() returns.
  return lazy(shape, origin, async (type) => (type === 'float32' ? values.slice() : convert(values, type)));
}

/** The same values under another shape of equal size (e.g. a [C, C, 1, 1] conv as a [C, C] linear). */
export function reshaped(t: LazyTensor, shape: readonly number[]): LazyTensor {
  if (elementCount(shape) !== elementCount(t.shape)) {
    throw new RangeError(`${t.origin}: cannot reshape [${t.shape.join(',')}] to [${shape.join(',')}]`);
  }
  return lazy(shape, t.origin, (type) => t.read(type));
}

/** A [rows, cols] matrix as [cols, rows]: torch's Linear weight [out, in] becomes MatMul's [in, out]. */
export function transposed2d(t: LazyTensor): LazyTensor {
  const [rows, cols] = t.shape;
  if (t.shape.length !== 2 || rows === undefined || cols === undefined) {
    throw new RangeError(`${t.origin}: transposed2d needs a matrix, got [${t.shape.join(',')}]`);
  }
  return lazy([cols, rows], t.origin, async (type) => {
    const src = await t.read(type);
    const out = src instanceof Float32Array ? weightBuffers.float32(src.length) : weightBuffers.uint16(src.length);
    // Blocked so both sides stay in cache for the 1280×5120 matrices of real models.
    const block = 64;
    for (let r0 = 0; r0 < rows; r0 += block) {
      const r1 = Math.min(rows, r0 + block);
      for (let c0 = 0; c0 < cols; c0 += block) {
        const c1 = Math.min(cols, c0 + block);
        for (let r = r0; r < r1; r++) {
          const rowAt = r * cols;
          for (let c = c0; c < c1; c++) out[c * rows + r] = src[rowAt + c] as number;
        }
      }
    }
    weightBuffers.give(src);
    return out;
  });
}

/** Rows [start, start + count) of the first axis (OpenCLIP packs q, k and v in one in_proj matrix). */
export function rowSlice(t: LazyTensor, start: number, count: number): LazyTensor {
  const [rows] = t.shape;
  if (rows === undefined || start < 0 || count <= 0 || start + count > rows) {
    throw new RangeError(`${t.origin}: rows ${start}..${start + count} outside [${t.shape.join(',')}]`);
  }
  const rowSize = elementCount(t.shape.slice(1));
  return lazy([count, ...t.shape.slice(1)], `${t.origin}[${start}:${start + count}]`, async (type) => {
    const src = await t.read(type);
    const rows = src.slice(start * rowSize, (start + count) * rowSize);
    weightBuffers.give(src);
    return rows;
  });
}

/** Tensors joined along the first axis. */
export function concatRows(parts: readonly LazyTensor[]): LazyTensor {
  const first = parts[0];
  if (first === undefined) throw new RangeError('concatRows: nothing to join');
  const tail = first.shape.slice(1);
  for (const p of parts) {
    if (p.shape.length !== first.shape.length || p.shape.slice(1).some((d, i) => d !== tail[i])) {
      throw new RangeError(`${p.origin}: shape [${p.shape.join(',')}] does not join [${first.shape.join(',')}]`);
    }
  }
  const rows = parts.reduce((n, p) => n + (p.shape[0] ?? 0), 0);
  return lazy([rows, ...tail], parts.map((p) => p.origin).join(' + '), async (type) => {
    const datas = [];
    for (const p of parts) datas.push(await p.read(type));
    const total = datas.reduce((n, d) => n + d.length, 0);
    const out = type === 'float32' ? weightBuffers.float32(total) : weightBuffers.uint16(total);
    let at = 0;
    for (const d of datas) {
      out.set(d, at);
      at += d.length;
      weightBuffers.give(d);
    }
    return out;
  });
}

/** Element-wise float math (scaling, merging): always computed in float32, narrowed after. */
export function mapped(t: LazyTensor, origin: string, fn: (values: Float32Array) => Float32Array | Promise<Float32Array>): LazyTensor {
  return lazy(t.shape, origin, async (type) => convert(await fn(await t.read('float32')), type));
}
