/**
 * GraphBuilder: collects inputs, outputs, initializers and nodes with unique names, then writes
 * them as an ONNX model. Weights may be lazy (read from a checkpoint only while the model is
 * written, one at a time) and large ones go to one external data file, streamed, as
 * onnx.save_model(..., save_as_external_data=True) lays it out; so a 10 GB UNet is written with
 * one tensor in memory and a model.onnx far below protobuf's 2 GB limit.
 */
import { weightBuffers } from './weight-buffers.js';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byteSize, eagerBytes, isEager, lazyBytes, writeAll, type InitializerData, type InitializerRecord as Initializer } from './initializer-bytes.js';
import type { LazyTensor } from './lazy-tensor.js';
import {
  dataTypeCode,
  encodeModel,
  type AttributeValue,
  type Dim,
  type NodeSpec,
  type OnnxDataType,
  type OpsetImport,
  type TensorSpec,
  type ValueInfoSpec,
} from './onnx-proto.js';

export type FloatType = 'float32' | 'float16';
export type { InitializerData };

export interface ExternalDataOptions {
  /** File name next to model.onnx, e.g. "weights.pb" or "model.onnx_data". */
  location: string;
  /** Initializers of at least this many bytes go to the external file (onnx's default is 1024). */
  thresholdBytes: number;
}

export interface WriteOptions {
  /** Called after each initializer is written, with bytes of weights written so far and in all. */
  onProgress?: (writtenBytes: number, totalBytes: number) => void;
  /** Checked between initializers: an abort stops the write with the signal's reason. */
  signal?: AbortSignal;
  /** metadata_props of the model (e.g. where the weights came from). */
  metadata?: Readonly<Record<string, string>>;
}

const EXTERNAL_ALIGNMENT = 16;

export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: ValueInfoSpec[] = [];
  private readonly outputs: ValueInfoSpec[] = [];
  private readonly taken = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly scopes: string[] = [];
  private readonly opsets = new Map<string, number>();
  private counter = 0;

  constructor(
    readonly name: string,
    /** The element type of weights and of the float activations the graph computes in. */
    readonly floatType: FloatType = 'float32',
    /**
     * How learned parameters (param()) are stored in the file. 'float16' in a float32 graph halves
     * the weights on disk: each is stored in float16 behind a Cast to float32, which onnxruntime
     * folds into a float32 initializer when the session starts (compute stays float32).
     */
    readonly weightStorage: FloatType = floatType,
  ) {}

  input(name: string, dataType: OnnxDataType, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  /** Declares `value` as graph output `name` (through an Identity when the names differ). */
  output(value: string, name: string, dataType: OnnxDataType, dims: readonly Dim[]): void {
    if (value !== name) {
      this.claim(name);
      this.nodes.push({ opType: 'Identity', name: `/${name}/Identity`, inputs: [value], outputs: [name] });
    }
    this.outputs.push({ name, dataType, dims });
  }

  /** Declares that nodes use another operator set (e.g. 'com.microsoft', 1). */
  useOpset(domain: string, version: number): void {
    this.opsets.set(domain, version);
  }

  initializer(hint: string, dataType: OnnxDataType, dims: readonly number[], data: InitializerData): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new RangeError(`${hint}: ${data.length} values for dims [${dims.join(',')}]`);
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType, dims, data });
    return name;
  }

  /** A learned parameter stored in the graph's float type. */
  weight(hint: string, dims: readonly number[], data: Float32Array): string {
    return this.initializer(hint, this.floatType, dims, data);
  }

  /**
   * A parameter read lazily at write time, stored in the graph's float type under `name` as given
   * (not scoped): imported models keep their torch parameter names, as exporters write them.
   */
  param(name: string, tensor: LazyTensor): string {
    const unique = this.withoutScope(() => this.fresh(name));
    this.initializers.push({ name: unique, dataType: this.weightStorage, dims: tensor.shape, data: tensor });
    if (this.weightStorage === this.floatType) return unique;
    const [cast] = this.withoutScope(() => this.node('Cast', [unique], { to: dataTypeCode(this.floatType) }, 1, `${unique}/Cast`));
    return cast ?? '';
  }

  /** A small constant, shared between all uses of the same value. Scalars have dims []. */
  constant(dataType: OnnxDataType, values: number | readonly number[], dims?: readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
    const key = `${dataType}|${shape.join(',')}|${list.join(',')}`;
    const cached = this.constants.get(key);
    if (cached !== undefined) return cached;
    const data =
      dataType === 'int64'
        ? BigInt64Array.from(list, (v) => BigInt(v))
        : dataType === 'int32'
          ? Int32Array.from(list)
          : dataType === 'bool' || dataType === 'uint8'
            ? Uint8Array.from(list)
            : Float32Array.from(list);
    const name = this.withoutScope(() => this.initializer(`const_${dataType}`, dataType, shape, data));
    this.constants.set(key, name);
    return name;
  }

  /** A constant in the graph's float type. */
  float(values: number | readonly number[], dims?: readonly number[]): string {
    return this.constant(this.floatType, values, dims);
  }

  int64(values: number | readonly number[], dims?: readonly number[]): string {
    return this.constant('int64', values, dims);
  }

  node(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
    outputCount = 1,
    hint: string = opType,
    domain?: string,
  ): string[] {
    const outputs = Array.from({ length: outputCount }, (_, i) => this.fresh(`${hint}_out${outputCount > 1 ? i : ''}`));
    const node: NodeSpec = { opType, name: this.fresh(`/${hint}`), inputs, outputs, attributes };
    this.nodes.push(domain === undefined ? node : { ...node, domain });
    return outputs;
  }

  /** A node with exactly one output. */
  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}): string {
    const [out] = this.node(opType, inputs, attributes);
    return out ?? '';
  }

  /** Runs `build` with `name` prefixed to every value and node name it creates. */
  scope<T>(name: string, build: () => T): T {
    this.scopes.push(name);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** Bytes of all weights (lazy ones included) as they will be stored. */
  weightBytes(): number {
    return this.initializers.reduce((n, init) => n + byteSize(init), 0);
  }

  /** The model in memory; only for graphs without lazy weights (test models, small graphs). */
  serialize(external?: ExternalDataOptions): { model: Uint8Array; externalData: Uint8Array | undefined } {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const tensors = this.initializers.map((init) => {
      if (!isEager(init.data)) throw new Error(`${init.name} is lazy: write() the model instead`);
      const rawData = eagerBytes(init, init.data);
      const placed = this.place(init, rawData, external, size);
      if (placed.padding > 0) chunks.push(new Uint8Array(placed.padding));
      if (placed.spec.external !== undefined) {
        chunks.push(rawData);
        size = placed.spec.external.offset + rawData.length;
      }
      return placed.spec;
    });
    return { model: this.encode(tensors, {}), externalData: chunks.length > 0 ? concat(chunks, size) : undefined };
  }

  /**
   * Writes DIR/fileName and, when anything went external, DIR/external.location, reading lazy
   * weights one at a time. Returns the paths written.
   */
  async write(dir: string, fileName = 'model.onnx', external?: ExternalDataOptions, options: WriteOptions = {}): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const dataPath = external === undefined ? undefined : join(dir, external.location);
    const handle = dataPath === undefined ? undefined : await open(dataPath, 'w');
    const total = this.weightBytes();
    let written = 0;
    let size = 0;
    const tensors: TensorSpec[] = [];
    try {
      // The next weight is read and converted while this one is written: disk and CPU overlap.
      const bytesOf = (init: Initializer): Promise<Uint8Array> => (isEager(init.data) ? Promise.resolve(eagerBytes(init, init.data)) : lazyBytes(init, init.data));
      const inits = this.initializers;
      let next = inits.length > 0 ? prefetch(bytesOf(inits[0] as Initializer)) : undefined;
      for (const [i, init] of inits.entries()) {
        options.signal?.throwIfAborted();
        const rawData = await (next as Promise<Uint8Array>);
        next = i + 1 < inits.length ? prefetch(bytesOf(inits[i + 1] as Initializer)) : undefined;
        const placed = this.place(init, rawData, external, size);
        if (placed.spec.external !== undefined && handle !== undefined) {
          await writeAll(handle, rawData, placed.spec.external.offset);
          size = placed.spec.external.offset + rawData.length;
          // Written and referenced by nothing else: the next weight may reuse its memory.
          weightBuffers.give(rawData);
        }
        tensors.push(placed.spec);
        written += rawData.length;
        options.onProgress?.(written, total);
      }
    } finally {
      weightBuffers.clear();
      await handle?.close();
    }
    const modelPath = join(dir, fileName);
    await writeFile(modelPath, this.encode(tensors, options.metadata ?? {}));
    if (dataPath === undefined) return [modelPath];
    return [modelPath, dataPath];
  }

  private place(
    init: Initializer,
    rawData: Uint8Array,
    external: ExternalDataOptions | undefined,
    size: number,
  ): { spec: TensorSpec; padding: number } {
    const base = { name: init.name, dataType: init.dataType, dims: init.dims };
    if (external === undefined || rawData.length < external.thresholdBytes) return { spec: { ...base, rawData }, padding: 0 };
    const padding = (EXTERNAL_ALIGNMENT - (size % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
    const offset = size + padding;
    return { spec: { ...base, external: { location: external.location, offset, length: rawData.length } }, padding };
  }

  private encode(tensors: TensorSpec[], metadata: Readonly<Record<string, string>>): Uint8Array {
    const extraOpsets: OpsetImport[] = [...this.opsets].map(([domain, version]) => ({ domain, version }));
    return encodeModel({
      graph: { name: this.name, nodes: this.nodes, initializers: tensors, inputs: this.inputs, outputs: this.outputs },
      extraOpsets,
      metadata,
    });
  }

  private fresh(hint: string): string {
    const prefix = this.scopes.length > 0 ? `${this.scopes.join('/')}/` : '';
    let name = `${prefix}${hint}`;
    while (this.taken.has(name)) name = `${prefix}${hint}_${++this.counter}`;
    this.taken.add(name);
    return name;
  }

  private claim(name: string): void {
    if (this.taken.has(name)) throw new RangeError(`value name ${name} is already used`);
    this.taken.add(name);
  }

  private withoutScope<T>(build: () => T): T {
    const saved = this.scopes.splice(0);
    try {
      return build();
    } finally {
      this.scopes.push(...saved);
    }
  }
}

/** A read started ahead: its failure surfaces when awaited, never as an unhandled rejection meanwhile. */
function prefetch(p: Promise<Uint8Array>): Promise<Uint8Array> {
  p.catch(() => undefined);
  return p;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
