/**
 * From an unpickled torch checkpoint to what importers use: a flat tensor dict with dotted keys
 * and a map of the scalar values beside it. A1111 and Lightning wrap the weights in
 * `{'state_dict': {...}, 'global_step': N, ...}`: the tensors then come from `state_dict` only
 * (optimizer states and the like stay out) and the rest gives the values. Embeddings nest
 * (`{'string_to_param': {'*': tensor}, 'name': ..., 'step': ...}`): nested dicts become dotted
 * keys (`string_to_param.*`), lists and tuples their indices.
 */
import { invalidCheckpoint } from './checkpoint-error.js';
import { PyDict, PyGlobal, PyTuple, type PyValue } from './pickle/values.js';
import { TorchTensor } from './torch-values.js';

export type CheckpointValue = string | number | bigint | boolean | null;

export interface FlatCheckpoint {
  readonly tensors: Map<string, TorchTensor>;
  readonly values: Map<string, CheckpointValue>;
  /** 'state_dict' when the tensors came from that wrapper key. */
  readonly unwrapped: string | undefined;
}

/** Bounds on walking a hostile structure (shared references can make a small pickle a huge tree). */
const MAX_VISITS = 5_000_000;
const MAX_DEPTH = 64;

function segment(key: PyValue): string | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (typeof key === 'boolean') return key ? 'True' : 'False';
  if (key === null) return 'None';
  if (key instanceof PyGlobal) return key.qualifiedName;
  return undefined;
}

class Walker {
  private visits = 0;
  private readonly ancestors = new Set<object>();

  constructor(
    private readonly file: string,
    private readonly out: FlatCheckpoint,
    private readonly collectTensors: boolean,
    private readonly skipRootKey: string | undefined,
  ) {}

  walk(value: PyValue, path: string, depth: number): void {
    if (++this.visits > MAX_VISITS) throw invalidCheckpoint(this.file, `the pickled structure has more than ${MAX_VISITS} items`);
    if (depth > MAX_DEPTH) throw invalidCheckpoint(this.file, `the pickled structure nests deeper than ${MAX_DEPTH} levels`, path);
    if (value instanceof TorchTensor) {
      if (!this.collectTensors) return;
      if (this.out.tensors.has(path)) throw invalidCheckpoint(this.file, 'two tensors flatten to this key', path);
      this.out.tensors.set(path, value);
      return;
    }
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      if (!this.out.values.has(path)) this.out.values.set(path, value);
      return;
    }
    const children: Array<[string, PyValue]> = [];
    if (value instanceof PyDict) {
      for (const [k, v] of value.entries()) {
        const seg = segment(k);
        if (seg === undefined) continue;
        if (depth === 0 && seg === this.skipRootKey) continue;
        children.push([seg, v]);
      }
    } else if (Array.isArray(value) || value instanceof PyTuple) {
      const items = Array.isArray(value) ? value : value.items;
      items.forEach((v, i) => children.push([String(i), v]));
    } else return; // bytes, sets, inert objects: neither tensors nor scalar values
    if (this.ancestors.has(value)) return; // a container inside itself
    this.ancestors.add(value);
    for (const [seg, v] of children) this.walk(v, path === '' ? seg : `${path}.${seg}`, depth + 1);
    this.ancestors.delete(value);
  }
}

export function flattenCheckpoint(file: string, root: PyValue): FlatCheckpoint {
  const out: FlatCheckpoint = { tensors: new Map(), values: new Map(), unwrapped: undefined };
  const stateDict = root instanceof PyDict ? root.get('state_dict') : undefined;
  if (stateDict instanceof PyDict) {
    new Walker(file, out, true, undefined).walk(stateDict, '', 0);
    new Walker(file, out, false, 'state_dict').walk(root, '', 0);
    return { ...out, unwrapped: 'state_dict' };
  }
  new Walker(file, out, true, undefined).walk(root, '', 0);
  return out;
}
