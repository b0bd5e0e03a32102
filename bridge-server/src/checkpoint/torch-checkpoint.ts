/**
 * Reads PyTorch zip checkpoints (.ckpt/.pt/.pth/.bin from torch.save since 1.6): `<root>/data.pkl`
 * is unpickled by the restricted machine under the torch policy (nothing executes), tensors are
 * validated against their storages, and each tensor is then read in place from its stored zip
 * entry `<root>/data/<key>` when asked for.
 */
import { invalidCheckpoint } from './checkpoint-error.js';
import { DTYPE_SIZE, toFloat32 } from './dtypes.js';
import { unpickle } from './pickle/machine.js';
import type { PyValue } from './pickle/values.js';
import { PositionedFile } from './positioned-file.js';
import { ScratchBytes } from './scratch-bytes.js';
import { refusalFor, sniff, SNIFF_BYTES } from './sniff.js';
import { gather, isContiguous, viewNumel, viewSpan } from './strided.js';
import type { TensorEntry, TensorSource } from './tensor-source.js';
import { TorchPicklePolicy } from './torch-policy.js';
import { flattenCheckpoint, type CheckpointValue } from './torch-structure.js';
import { InlineBytes, type TorchTensor } from './torch-values.js';
import { ZipArchive, type ZipEntry } from './zip.js';

export type { CheckpointValue } from './torch-structure.js';

/** data.pkl of a real checkpoint is kilobytes to a few megabytes; this bounds a hostile one. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

export interface TorchTensorEntry extends TensorEntry {
  /** Zip entry of the storage, or undefined for a tensor carried inline in the pickle. */
  readonly storageEntry: string | undefined;
  /** Element offset, and element strides, of the view in its storage. */
  readonly storageOffset: number;
  readonly stride: readonly number[];
  readonly contiguous: boolean;
}

interface Located {
  readonly entry: TorchTensorEntry;
  readonly tensor: TorchTensor;
  readonly zip: ZipEntry | undefined;
}

export class TorchCheckpoint implements TensorSource {
  readonly metadata: Readonly<Record<string, string>> = Object.freeze({});
  private readonly scratch = new ScratchBytes();
  private readonly order: readonly string[];

  private constructor(
    private readonly reader: PositionedFile,
    private readonly zip: ZipArchive,
    /** The whole unpickled object, tensors as TorchTensor values. */
    readonly root: PyValue,
    private readonly tensors: ReadonlyMap<string, Located>,
    /** Non-tensor scalars by dotted key (`global_step`, `name`, `step`, `string_to_token.*`). */
    readonly values: ReadonlyMap<string, CheckpointValue>,
    /** 'state_dict' when the tensors were unwrapped from that key. */
    readonly unwrapped: string | undefined,
  ) {
    this.order = Object.freeze([...tensors.keys()]);
  }

  static async open(file: string): Promise<TorchCheckpoint> {
    const reader = await PositionedFile.open(file);
    try {
      const head = await reader.read(0, Math.min(SNIFF_BYTES, reader.size), 'file header');
      const format = sniff(head);
      if (format === 'safetensors') throw invalidCheckpoint(file, 'this is a .safetensors file, not a PyTorch zip checkpoint');
      const refusal = refusalFor(format, head);
      if (refusal !== undefined) throw invalidCheckpoint(file, refusal);
      const zip = await ZipArchive.open(reader);
      const pkl = findDataPickle(file, zip);
      const prefix = pkl.name.slice(0, -'data.pkl'.length);
      await checkByteOrder(file, zip, prefix);
      if (pkl.size > MAX_PICKLE_BYTES) throw invalidCheckpoint(file, `data.pkl claims ${pkl.size} bytes`, pkl.name);
      const policy = new TorchPicklePolicy({ file, entry: pkl.name });
      const root = unpickle(await zip.readEntry(pkl), policy, { file, entry: pkl.name });
      const flat = flattenCheckpoint(file, root);
      const located = new Map<string, Located>();
      for (const [key, tensor] of flat.tensors) located.set(key, locate(file, zip, prefix, key, tensor));
      return new TorchCheckpoint(reader, zip, root, located, flat.values, flat.unwrapped);
    } catch (err) {
      await reader.close();
      throw err;
    }
  }

  get file(): string {
    return this.reader.file;
  }

  /** Keys in the order the pickle lists them (the state dict's order). */
  keys(): readonly string[] {
    return this.order;
  }

  entry(key: string): TorchTensorEntry | undefined {
    return this.tensors.get(key)?.entry;
  }

  private need(key: string): Located {
    const t = this.tensors.get(key);
    if (t === undefined) throw invalidCheckpoint(this.file, 'no such tensor in the checkpoint', key);
    return t;
  }

  /** One tensor's bytes, row-major contiguous, into `target` (exactly its byteLength long). */
  async readRawInto(key: string, target: Uint8Array): Promise<Uint8Array> {
    const { entry, tensor, zip } = this.need(key);
    if (target.byteLength !== entry.byteLength) throw new RangeError(`readRawInto ${key}: target has ${target.byteLength} bytes, tensor ${entry.byteLength}`);
    const span = viewSpan(tensor);
    if (span === undefined) return target;
    const size = DTYPE_SIZE[entry.dtype];
    if (tensor.source instanceof InlineBytes) {
      gather(tensor.source.bytes.subarray(span.first * size, (span.last + 1) * size), tensor, size, target);
      return target;
    }
    if (zip === undefined) throw new Error(`tensor ${key} has neither inline bytes nor a storage entry`);
    if (entry.contiguous) return this.zip.readRange(zip, span.first * size, target, key);
    const bytes = this.scratch.take((span.last - span.first + 1) * size);
    try {
      await this.zip.readRange(zip, span.first * size, bytes, key);
      gather(bytes, tensor, size, target);
    } finally {
      this.scratch.give(bytes);
    }
    return target;
  }

  readRaw(key: string): Promise<Uint8Array> {
    return this.readRawInto(key, new Uint8Array(this.need(key).entry.byteLength));
  }

  /** One tensor as float32 into `out` (exactly its element count long). */
  async readFloat32Into(key: string, out: Float32Array): Promise<Float32Array> {
    const { entry } = this.need(key);
    const count = entry.byteLength / DTYPE_SIZE[entry.dtype];
    if (out.length !== count) throw new RangeError(`readFloat32Into ${key}: target has ${out.length} elements, tensor ${count}`);
    if (entry.dtype === 'F32') {
      await this.readRawInto(key, new Uint8Array(out.buffer, out.byteOffset, entry.byteLength));
      return out;
    }
    const raw = this.scratch.take(entry.byteLength);
    try {
      await this.readRawInto(key, raw);
      toFloat32(entry.dtype, raw, out);
    } finally {
      this.scratch.give(raw);
    }
    return out;
  }

  readFloat32(key: string): Promise<Float32Array> {
    const { entry } = this.need(key);
    return this.readFloat32Into(key, new Float32Array(entry.byteLength / DTYPE_SIZE[entry.dtype]));
  }

  async close(): Promise<void> {
    this.scratch.clear();
    await this.reader.close();
  }
}

/** Opens a PyTorch zip checkpoint: unpickles (safely) and validates; tensors are read on demand. */
export function openTorchCheckpoint(file: string): Promise<TorchCheckpoint> {
  return TorchCheckpoint.open(file);
}

function findDataPickle(file: string, zip: ZipArchive): ZipEntry {
  const candidates = zip.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  const only = candidates[0];
  if (candidates.length > 1) throw invalidCheckpoint(file, `the archive holds ${candidates.length} data.pkl entries (${candidates.map((c) => c.name).join(', ')})`);
  if (only === undefined) {
    const torchScript = zip.entries.some((e) => /^[^/]+\/(constants\.pkl|code\/)/.test(e.name));
    throw invalidCheckpoint(
      file,
      torchScript
        ? 'this is a TorchScript module (torch.jit.save), not a saved state dict'
        : 'this zip archive has no <name>/data.pkl, so it is not a PyTorch checkpoint',
    );
  }
  const prefix = only.name.slice(0, -'data.pkl'.length);
  if (zip.entry(`${prefix}constants.pkl`) !== undefined) throw invalidCheckpoint(file, 'this is a TorchScript module (torch.jit.save), not a saved state dict');
  return only;
}

/** torch >= 2.0 records the byte order of the storages; everything we read is little-endian. */
async function checkByteOrder(file: string, zip: ZipArchive, prefix: string): Promise<void> {
  const entry = zip.entry(`${prefix}byteorder`);
  if (entry === undefined) return;
  if (entry.size > 16) throw invalidCheckpoint(file, `byteorder entry of ${entry.size} bytes`, entry.name);
  const order = new TextDecoder().decode(await zip.readEntry(entry)).trim();
  if (order !== 'little') throw invalidCheckpoint(file, `storages are saved ${order}-endian; only little-endian checkpoints are read`, entry.name);
}

/** Checks a tensor's view against its storage entry and makes its TensorEntry. */
function locate(file: string, zip: ZipArchive, prefix: string, key: string, tensor: TorchTensor): Located {
  const size = DTYPE_SIZE[tensor.dtype];
  const numel = viewNumel(tensor);
  if (!Number.isSafeInteger(numel * size)) throw invalidCheckpoint(file, `shape [${tensor.shape.join(', ')}] is too large`, key);
  const span = viewSpan(tensor);
  let zipEntry: ZipEntry | undefined;
  let available: number; // elements of tensor.dtype the source holds
  if (tensor.source instanceof InlineBytes) available = Math.floor(tensor.source.bytes.byteLength / size);
  else {
    const storage = tensor.source;
    const name = `${prefix}data/${storage.key}`;
    zipEntry = zip.entry(name);
    if (zipEntry === undefined) throw invalidCheckpoint(file, `its storage "${storage.key}" has no zip entry ${name} (truncated or damaged archive)`, key);
    const storageBytes = storage.type.dtype === 'untyped' ? storage.numel : storage.numel * size;
    if (zipEntry.size < storageBytes) {
      throw invalidCheckpoint(file, `storage entry ${name} holds ${zipEntry.size} bytes but the pickle says ${storageBytes}`, key);
    }
    available = storageBytes / size;
  }
  if (span !== undefined && span.last >= available) {
    throw invalidCheckpoint(
      file,
      `view (offset ${tensor.offset}, shape [${tensor.shape.join(', ')}], stride [${tensor.stride.join(', ')}]) reaches element ${span.last} of a storage with ${available}`,
      key,
    );
  }
  const entry: TorchTensorEntry = {
    key,
    dtype: tensor.dtype,
    shape: tensor.shape,
    byteLength: numel * size,
    storageEntry: zipEntry?.name,
    storageOffset: tensor.offset,
    stride: tensor.stride,
    contiguous: isContiguous(tensor),
  };
  return { entry, tensor, zip: zipEntry };
}
