/**
 * GraphBuilder: collects inputs, outputs, initializers and nodes with unique names, then
 * serializes them as an ONNX model, optionally moving large initializers into one external
 * data file (as onnx.save_model(..., save_as_external_data=True) does).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { toFloat16Array } from './float16.js';
import {
  BYTES_PER_ELEMENT,
  encodeModel,
  type AttributeValue,
  type Dim,
  type NodeSpec,
  type OnnxDataType,
  type TensorSpec,
  type ValueInfoSpec,
} from './onnxProto.js';

export type FloatType = 'float32' | 'float16';
export type InitializerData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

interface Initializer {
  name: string;
  dataType: OnnxDataType;
  dims: readonly number[];
  /** Float data is kept as float32 and narrowed to float16 at serialization when the type says so. */
  data: InitializerData;
}

export interface ExternalDataOptions {
  /** File name next to model.onnx, e.g. "weights.pb" or "model.onnx_data". */
  location: string;
  /** Initializers of at least this many bytes go to the external file (onnx's default is 1024). */
  thresholdBytes: number;
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
  private counter = 0;

  constructor(
    readonly name: string,
    /** The element type of weights and of the float activations the graph computes in. */
    readonly floatType: FloatType = 'float32',
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
  ): string[] {
    const outputs = Array.from({ length: outputCount }, (_, i) => this.fresh(`${hint}_out${outputCount > 1 ? i : ''}`));
    this.nodes.push({ opType, name: this.fresh(`/${hint}`), inputs, outputs, attributes });
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

  serialize(external?: ExternalDataOptions): { model: Uint8Array; externalData: Uint8Array | undefined } {
    const externalChunks: Uint8Array[] = [];
    let externalSize = 0;
    const tensors: TensorSpec[] = this.initializers.map((init) => {
      const rawData = tensorBytes(init);
      const base = { name: init.name, dataType: init.dataType, dims: init.dims };
      if (external === undefined || rawData.length < external.thresholdBytes) return { ...base, rawData };
      const padding = (EXTERNAL_ALIGNMENT - (externalSize % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
      if (padding > 0) externalChunks.push(new Uint8Array(padding));
      const offset = externalSize + padding;
      externalChunks.push(rawData);
      externalSize = offset + rawData.length;
      return { ...base, external: { location: external.location, offset, length: rawData.length } };
    });
    const model = encodeModel({
      graph: { name: this.name, nodes: this.nodes, initializers: tensors, inputs: this.inputs, outputs: this.outputs },
    });
    return { model, externalData: externalChunks.length > 0 ? concat(externalChunks, externalSize) : undefined };
  }

  /** Writes DIR/fileName and, when anything went external, DIR/external.location. Returns the paths. */
  async write(dir: string, fileName = 'model.onnx', external?: ExternalDataOptions): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const { model, externalData } = this.serialize(external);
    const modelPath = join(dir, fileName);
    await writeFile(modelPath, model);
    if (externalData === undefined || external === undefined) return [modelPath];
    const dataPath = join(dir, external.location);
    await writeFile(dataPath, externalData);
    return [modelPath, dataPath];
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

function tensorBytes(init: Initializer): Uint8Array {
  if (endianness() !== 'LE') throw new Error('testmodels writes raw_data from typed arrays and needs a little-endian host');
  const { data, dataType } = init;
  const typed = dataType === 'float16' ? toFloat16Array(data as Float32Array) : data;
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  if (bytes.length !== init.dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dataType]) {
    throw new RangeError(`${init.name}: ${dataType} data does not match its typed array`);
  }
  return bytes;
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
