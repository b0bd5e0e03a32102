/**
 * What a pickle may mean is decided by a policy, not by the machine: the machine only moves data
 * and asks the policy whenever pickle would look up a name or call something. A policy answers
 * with inert values or refuses; nothing is ever looked up in, or called on, a real runtime.
 */
import type { PyDict, PyValue } from './values.js';

export interface PicklePolicy {
  /** GLOBAL, STACK_GLOBAL, INST: the name's value, or a refusal (thrown) naming it. */
  global(module: string, name: string): PyValue;
  /** REDUCE, INST, OBJ: what `callable(*args)` would have produced. */
  call(callable: PyValue, args: readonly PyValue[]): PyValue;
  /** NEWOBJ, NEWOBJ_EX: what `cls.__new__(cls, *args, **kwargs)` would have produced. */
  newObject(cls: PyValue, args: readonly PyValue[], kwargs: PyDict | undefined): PyValue;
  /** BUILD: apply `state` to `target` (setstate or attribute update), in place. */
  build(target: PyValue, state: PyValue): void;
  /** PERSID, BINPERSID: the object an external reference stands for. */
  persistentLoad(pid: PyValue): PyValue;
}
