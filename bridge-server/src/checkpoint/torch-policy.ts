/**
 * The pickle policy for torch checkpoints. The allow-list mirrors A1111's modules/safe.py
 * (RestrictedUnpickler.find_class), plus what torch 2.x itself writes for a state dict
 * (_rebuild_tensor_v3 with UntypedStorage and dtype objects for float8; _rebuild_from_type_v2 and
 * _rebuild_parameter_with_state around tensors). Every allowed name maps to an emulation that
 * builds inert data; any other name is refused when the pickle names it, before anything that
 * would be a call is reached.
 */
import { CheckpointError, invalidCheckpoint } from './checkpoint-error.js';
import { DTYPE_SIZE, halfToNumber } from './dtypes.js';
import type { PicklePolicy } from './pickle/policy.js';
import { PyDict, PyGlobal, PyObject, PySet, PyTuple, typeName, UnhashableKeyError, type PyValue } from './pickle/values.js';
import type { StoredDType } from './tensor-source.js';
import {
  InlineBytes,
  NumpyArray,
  NumpyDType,
  STORAGE_TYPES,
  TORCH_DTYPES,
  TorchDType,
  TorchStorage,
  TorchStorageType,
  TorchTensor,
} from './torch-values.js';

type Emulation = 'ordered_dict' | 'set' | 'rebuild_tensor' | 'rebuild_tensor_v2' | 'rebuild_tensor_v3' | 'rebuild_parameter'
  | 'rebuild_from_type' | 'rebuild_from_numpy' | 'tensor_type' | 'np_scalar' | 'np_dtype' | 'np_reconstruct' | 'np_ndarray'
  | 'codecs_encode' | 'inert_class' | 'inert_module';

const ALLOWED: ReadonlyMap<string, Emulation> = new Map<string, Emulation>([
  ['collections.OrderedDict', 'ordered_dict'],
  ['torch._utils._rebuild_tensor', 'rebuild_tensor'],
  ['torch._utils._rebuild_tensor_v2', 'rebuild_tensor_v2'],
  ['torch._utils._rebuild_tensor_v3', 'rebuild_tensor_v3'],
  ['torch._utils._rebuild_parameter', 'rebuild_parameter'],
  ['torch._utils._rebuild_parameter_with_state', 'rebuild_parameter'],
  ['torch._utils._rebuild_device_tensor_from_numpy', 'rebuild_from_numpy'],
  ['torch._tensor._rebuild_from_type_v2', 'rebuild_from_type'],
  ['torch.Tensor', 'tensor_type'],
  ['torch.nn.parameter.Parameter', 'tensor_type'],
  ['torch.nn.modules.container.ParameterDict', 'inert_class'],
  ['numpy.core.multiarray.scalar', 'np_scalar'],
  ['numpy._core.multiarray.scalar', 'np_scalar'],
  ['numpy.core.multiarray._reconstruct', 'np_reconstruct'],
  ['numpy._core.multiarray._reconstruct', 'np_reconstruct'],
  ['numpy.dtype', 'np_dtype'],
  ['numpy.ndarray', 'np_ndarray'],
  ['_codecs.encode', 'codecs_encode'],
  ['pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint', 'inert_class'],
  ['pytorch_lightning.callbacks.model_checkpoint', 'inert_module'],
  ['__builtin__.set', 'set'],
  ['builtins.set', 'set'],
]);

/** Callables a pickle may name as a tensor's rebuild function inside _rebuild_from_type_v2. */
const TENSOR_REBUILDS = new Set<Emulation>(['rebuild_tensor', 'rebuild_tensor_v2', 'rebuild_tensor_v3', 'rebuild_parameter']);

class EmulatedGlobal extends PyGlobal {
  constructor(
    module: string,
    name: string,
    readonly emulation: Emulation,
  ) {
    super(module, name);
  }
}

function isNonNegativeInt(v: PyValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export interface TorchPolicyOptions {
  readonly file: string;
  /** The archive entry being unpickled, for messages. */
  readonly entry: string;
}

export class TorchPicklePolicy implements PicklePolicy {
  /** Storages by key, as persistent ids named them (one object per key: shared storages stay shared). */
  readonly storages = new Map<string, TorchStorage>();

  constructor(private readonly options: TorchPolicyOptions) {}

  private invalid(message: string): CheckpointError {
    return invalidCheckpoint(this.options.file, message, this.options.entry);
  }

  private unsafe(message: string): CheckpointError {
    return new CheckpointError(
      'checkpoint_unsafe',
      this.options.file,
      `${message}; refused, and nothing from the file was run. A checkpoint should hold only tensors, ` +
        'dicts, numbers and strings (what A1111\'s safe loader allows); load it only if you trust its source, ' +
        'and convert it to .safetensors.',
      this.options.entry,
    );
  }

  global(module: string, name: string): PyValue {
    const qualified = `${module}.${name}`;
    const emulation = ALLOWED.get(qualified);
    if (emulation !== undefined) return new EmulatedGlobal(module, name, emulation);
    if (module === 'torch' || module === 'torch.storage') {
      if (Object.prototype.hasOwnProperty.call(STORAGE_TYPES, name)) return new TorchStorageType(name, STORAGE_TYPES[name] ?? null);
      if (module === 'torch' && Object.prototype.hasOwnProperty.call(TORCH_DTYPES, name)) return new TorchDType(name, TORCH_DTYPES[name] ?? null);
    }
    throw this.unsafe(`the pickle names the Python global "${qualified}", which a checkpoint has no reason to contain`);
  }

  private callName(callable: PyValue): string {
    return callable instanceof PyGlobal ? callable.qualifiedName : typeName(callable);
  }

  call(callable: PyValue, args: readonly PyValue[]): PyValue {
    if (!(callable instanceof EmulatedGlobal)) throw this.unsafe(`the pickle calls ${this.callName(callable)}, which a state dict never calls`);
    switch (callable.emulation) {
      case 'ordered_dict':
        return this.makeDict(args);
      case 'set':
        return this.makeSet(args);
      case 'rebuild_tensor':
      case 'rebuild_tensor_v2': {
        const [storage, offset, size, stride] = args;
        if (!(storage instanceof TorchStorage)) throw this.invalid(`${callable.name} gets a ${typeName(storage)} instead of a storage`);
        const dtype = storage.type.dtype;
        if (dtype === 'untyped') throw this.invalid(`${callable.name} gets an untyped storage without a dtype`);
        if (dtype === null) throw this.invalid(`tensors in ${storage.type.describe()} (complex or quantized) are not supported`);
        return this.makeTensor(storage, dtype, offset, size, stride);
      }
      case 'rebuild_tensor_v3': {
        const [storage, offset, size, stride, , , dtype] = args;
        if (!(storage instanceof TorchStorage)) throw this.invalid(`_rebuild_tensor_v3 gets a ${typeName(storage)} instead of a storage`);
        if (!(dtype instanceof TorchDType)) throw this.invalid(`_rebuild_tensor_v3 gets a ${typeName(dtype)} instead of a dtype`);
        if (dtype.dtype === null) throw this.invalid(`tensors of dtype torch.${dtype.name} are not supported`);
        return this.makeTensor(storage, dtype.dtype, offset, size, stride);
      }
      case 'rebuild_parameter': {
        const data = args[0];
        if (!(data instanceof TorchTensor)) throw this.invalid(`${callable.name} wraps a ${typeName(data)}, not a tensor`);
        return data;
      }
      case 'rebuild_from_type': {
        // (func, type, args, state): a tensor subclass or a tensor with Python attributes.
        const [func, type, inner] = args;
        if (!(func instanceof EmulatedGlobal) || !TENSOR_REBUILDS.has(func.emulation)) {
          throw this.unsafe(`_rebuild_from_type_v2 would call ${this.callName(func ?? null)}`);
        }
        if (!(type instanceof EmulatedGlobal) || type.emulation !== 'tensor_type') {
          throw this.unsafe(`_rebuild_from_type_v2 would make a ${this.callName(type ?? null)}`);
        }
        if (!(inner instanceof PyTuple)) throw this.invalid('_rebuild_from_type_v2 arguments are not a tuple');
        return this.call(func, inner.items);
      }
      case 'rebuild_from_numpy': {
        const [array, dtype] = args;
        if (!(array instanceof NumpyArray) || array.data === undefined) throw this.invalid('_rebuild_device_tensor_from_numpy gets no numpy array');
        if (!(dtype instanceof TorchDType) || dtype.dtype === null) throw this.invalid(`_rebuild_device_tensor_from_numpy gets an unsupported dtype ${typeName(dtype)}`);
        const shape = array.shape;
        const stride = rowMajorStrides(array.fortranOrder ? [...shape].reverse() : shape);
        return new TorchTensor(new InlineBytes(array.data), dtype.dtype, 0, shape, array.fortranOrder ? stride.reverse() : stride);
      }
      case 'np_scalar':
        return this.numpyScalar(args);
      case 'np_dtype': {
        const spec = args[0];
        if (typeof spec !== 'string' || !/^[<>=|]?[fiub]\d{1,2}$/.test(spec)) throw this.invalid(`numpy.dtype(${typeName(spec)}) is not a plain numeric dtype`);
        const dt = new NumpyDType(spec.replace(/^[<>=|]/, ''));
        if (/^[<>]/.test(spec)) dt.byteOrder = spec[0]!;
        return dt;
      }
      case 'np_reconstruct': {
        const cls = args[0];
        if (!(cls instanceof EmulatedGlobal) || cls.emulation !== 'np_ndarray') throw this.unsafe(`numpy _reconstruct would make a ${this.callName(cls ?? null)}`);
        return new NumpyArray();
      }
      case 'codecs_encode': {
        const [text, encoding] = args;
        if (typeof text !== 'string') throw this.invalid(`_codecs.encode of a ${typeName(text)}`);
        const enc = typeof encoding === 'string' ? encoding.toLowerCase().replace('_', '-') : 'utf-8';
        if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') {
          const out = new Uint8Array(text.length);
          for (let i = 0; i < text.length; i++) {
            const c = text.charCodeAt(i);
            if (c > 0xff) throw this.invalid('_codecs.encode: a character outside latin-1');
            out[i] = c;
          }
          return out;
        }
        if (enc === 'utf-8' || enc === 'utf8' || enc === 'ascii') return new TextEncoder().encode(text);
        throw this.invalid(`_codecs.encode with encoding ${JSON.stringify(encoding)}`);
      }
      case 'inert_class':
        return new PyObject(callable, args);
      default:
        throw this.unsafe(`the pickle calls ${callable.qualifiedName}, which a state dict never calls`);
    }
  }

  newObject(cls: PyValue, args: readonly PyValue[]): PyValue {
    if (cls instanceof EmulatedGlobal) {
      if (cls.emulation === 'ordered_dict') return this.makeDict([]);
      if (cls.emulation === 'set') return this.makeSet([]);
      if (cls.emulation === 'inert_class') return new PyObject(cls, args);
    }
    throw this.unsafe(`the pickle creates a ${this.callName(cls)} object, which a state dict never holds`);
  }

  build(target: PyValue, state: PyValue): void {
    if (target instanceof PyDict) {
      // OrderedDict.__reduce__ passes the instance __dict__ (torch's `_metadata`) as BUILD state.
      const dictState = state instanceof PyTuple && state.items.length === 2 && state.items[1] === null ? state.items[0] : state;
      if (!(dictState instanceof PyDict)) throw this.unsafe(`the pickle sets state of type ${typeName(state)} on a ${typeName(target)}`);
      target.attrs = dictState;
      return;
    }
    if (target instanceof PyObject) {
      target.state = state;
      return;
    }
    if (target instanceof NumpyDType) {
      // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
      if (!(state instanceof PyTuple) || typeof state.items[1] !== 'string') throw this.invalid('numpy dtype state is not a tuple');
      target.byteOrder = state.items[1];
      return;
    }
    if (target instanceof NumpyArray) {
      // (version, shape, dtype, is_fortran, raw bytes)
      const [, shape, dtype, fortran, raw] = state instanceof PyTuple ? state.items : [];
      if (!(shape instanceof PyTuple) || !shape.items.every(isNonNegativeInt) || !(dtype instanceof NumpyDType) || !(raw instanceof Uint8Array)) {
        throw this.invalid('numpy array state is not (version, shape, dtype, fortran, bytes)');
      }
      target.shape = shape.items as number[];
      target.dtype = dtype;
      target.fortranOrder = fortran === true;
      target.data = raw;
      return;
    }
    throw this.unsafe(`the pickle sets state on a ${typeName(target)}, which takes none`);
  }

  persistentLoad(pid: PyValue): PyValue {
    const items = pid instanceof PyTuple ? pid.items : [];
    const [tag, type, key, location, numel] = items;
    if (items.length !== 5 || tag !== 'storage') throw this.invalid(`persistent id ${typeName(pid)} is not ('storage', type, key, location, numel)`);
    if (!(type instanceof TorchStorageType)) throw this.invalid(`persistent id names a ${typeName(type)} instead of a storage type`);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(key)) throw this.invalid(`persistent id has storage key ${typeName(key)} ${JSON.stringify(key)}`);
    if (typeof location !== 'string') throw this.invalid(`storage "${key}" has a location of type ${typeName(location)}`);
    if (!isNonNegativeInt(numel)) throw this.invalid(`storage "${key}" has a size of ${String(numel)}`);
    const known = this.storages.get(key);
    if (known !== undefined) {
      if (known.type.name !== type.name || known.numel !== numel) throw this.invalid(`storage "${key}" is named twice with different types or sizes`);
      return known;
    }
    const storage = new TorchStorage(key, type, numel, location);
    this.storages.set(key, storage);
    return storage;
  }

  private makeDict(args: readonly PyValue[]): PyDict {
    const dict = new PyDict(true);
    const init = args[0];
    if (init === undefined || init === null) return dict;
    const pairs = Array.isArray(init) ? init : init instanceof PyTuple ? init.items : undefined;
    if (pairs === undefined) throw this.invalid(`OrderedDict(${typeName(init)}) is not built from pairs`);
    for (const pair of pairs) {
      const kv = Array.isArray(pair) ? pair : pair instanceof PyTuple ? pair.items : [];
      if (kv.length !== 2) throw this.invalid('OrderedDict is built from something other than pairs');
      try {
        dict.set(kv[0]!, kv[1]!);
      } catch (err) {
        if (err instanceof UnhashableKeyError) throw this.invalid(`OrderedDict key is an unhashable ${err.message}`);
        throw err;
      }
    }
    return dict;
  }

  private makeSet(args: readonly PyValue[]): PySet {
    const init = args[0];
    if (init === undefined) return new PySet([], false);
    if (Array.isArray(init)) return new PySet([...init], false);
    if (init instanceof PyTuple) return new PySet([...init.items], false);
    throw this.invalid(`set(${typeName(init)})`);
  }

  private makeTensor(storage: TorchStorage, dtype: StoredDType, offset: PyValue | undefined, size: PyValue | undefined, stride: PyValue | undefined): TorchTensor {
    const ints = (v: PyValue | undefined): number[] | undefined =>
      v instanceof PyTuple && v.items.every(isNonNegativeInt) ? (v.items as number[]) : Array.isArray(v) && v.every(isNonNegativeInt) ? (v as number[]) : undefined;
    const shape = ints(size);
    const strides = ints(stride);
    if (!isNonNegativeInt(offset) || shape === undefined || strides === undefined || shape.length !== strides.length) {
      throw this.invalid(`a tensor over storage "${storage.key}" has a bad offset, size or stride`);
    }
    if (storage.type.dtype === 'untyped' && storage.numel % DTYPE_SIZE[dtype] !== 0) {
      throw this.invalid(`untyped storage "${storage.key}" of ${storage.numel} bytes is not whole ${dtype} elements`);
    }
    return new TorchTensor(storage, dtype, offset, Object.freeze([...shape]), Object.freeze([...strides]));
  }

  private numpyScalar(args: readonly PyValue[]): PyValue {
    const [dtype, raw] = args;
    if (!(dtype instanceof NumpyDType) || !(raw instanceof Uint8Array)) throw this.invalid('numpy scalar is not (dtype, bytes)');
    const kind = dtype.spec[0];
    const size = Number(dtype.spec.slice(1));
    if (raw.byteLength !== size) throw this.invalid(`numpy scalar ${dtype.spec} has ${raw.byteLength} bytes`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const little = dtype.byteOrder !== '>';
    const read = (): number | bigint | boolean | undefined => {
      if (kind === 'b' && size === 1) return raw[0] !== 0;
      if (kind === 'f' && size === 8) return view.getFloat64(0, little);
      if (kind === 'f' && size === 4) return view.getFloat32(0, little);
      if (kind === 'f' && size === 2) return halfToNumber(view.getUint16(0, little));
      if (kind === 'i' && size === 1) return view.getInt8(0);
      if (kind === 'i' && size === 2) return view.getInt16(0, little);
      if (kind === 'i' && size === 4) return view.getInt32(0, little);
      if (kind === 'u' && size === 1) return view.getUint8(0);
      if (kind === 'u' && size === 2) return view.getUint16(0, little);
      if (kind === 'u' && size === 4) return view.getUint32(0, little);
      if (kind === 'i' && size === 8) return view.getBigInt64(0, little);
      if (kind === 'u' && size === 8) return view.getBigUint64(0, little);
      return undefined;
    };
    const v = read();
    if (v === undefined) throw this.invalid(`numpy scalar of dtype ${dtype.spec} is not supported`);
    if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    return v;
  }
}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}
