/**
 * What the pickle machine builds: plain data only. Python objects that a policy lets through are
 * represented by inert values (a name, arguments, a recorded state), never by anything callable.
 */

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

/** A resolved GLOBAL the policy allowed: only a name; what it means is the policy's business. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of an allowed class, kept as data: class name, constructor arguments, BUILD state. */
export class PyObject {
  state: PyValue | undefined = undefined;

  constructor(
    readonly cls: PyGlobal,
    readonly args: readonly PyValue[],
  ) {}
}

/** Base class for a policy's own inert values (storages, tensors, dtypes). */
export abstract class PyOpaque {
  abstract describe(): string;
}

/** dict and collections.OrderedDict (both keep insertion order). */
export class PyDict {
  private readonly map = new Map<string, { key: PyValue; value: PyValue }>();
  /** Instance attributes set by BUILD (OrderedDict's `_metadata` in torch state dicts). */
  attrs: PyValue | undefined = undefined;

  constructor(readonly ordered: boolean) {}

  set(key: PyValue, value: PyValue): void {
    this.map.set(hashKey(key), { key, value });
  }

  get(key: string): PyValue | undefined {
    return this.map.get(hashKey(key))?.value;
  }

  has(key: string): boolean {
    return this.map.has(hashKey(key));
  }

  get size(): number {
    return this.map.size;
  }

  *entries(): IterableIterator<[PyValue, PyValue]> {
    for (const { key, value } of this.map.values()) yield [key, value];
  }
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyObject
  | PyOpaque;

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

function identityOf(value: object): number {
  let id = identities.get(value);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(value, id);
  }
  return id;
}

export class UnhashableKeyError extends Error {}

/**
 * A string equal for keys Python treats as equal: 1, 1.0 and True are one key; tuples by value;
 * classes by name; instances by identity. Lists, dicts and sets are unhashable, as in Python.
 */
export function hashKey(key: PyValue): string {
  if (key === null) return 'N';
  switch (typeof key) {
    case 'boolean':
      return key ? 'n:1' : 'n:0';
    case 'number':
      return `n:${Object.is(key, -0) ? 0 : key}`;
    case 'bigint':
      return `n:${key}`;
    case 'string':
      return `s:${key}`;
  }
  if (key instanceof Uint8Array) return `b:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')}`;
  if (key instanceof PyTuple) return `t(${key.items.map(hashKey).join(',')})`;
  if (key instanceof PyGlobal) return `g:${key.qualifiedName}`;
  if (key instanceof PySet && key.frozen) return `f:${key.items.map(hashKey).sort().join(',')}`;
  if (key instanceof PyObject || key instanceof PyOpaque) return `o:${identityOf(key)}`;
  throw new UnhashableKeyError(Array.isArray(key) ? 'list' : key instanceof PyDict ? 'dict' : 'set');
}

/** A short description of a value's type for error messages. */
export function typeName(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
  }
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyDict) return value.ordered ? 'OrderedDict' : 'dict';
  if (value instanceof PySet) return value.frozen ? 'frozenset' : 'set';
  if (value instanceof PyGlobal) return value.qualifiedName;
  if (value instanceof PyObject) return `${value.cls.qualifiedName} instance`;
  return value.describe();
}
