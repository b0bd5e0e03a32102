/** Opcodes that shape data: the stack, containers and the memo. */
import { readIntText, type OpHandler } from './ops-data.js';
import { Op } from './opcodes.js';
import type { PickleState } from './state.js';
import { PyDict, PySet, PyTuple, typeName, type PyValue } from './values.js';

function list(m: PickleState): PyValue[] {
  const target = m.top();
  if (!Array.isArray(target)) throw m.error(`appends to a ${typeName(target)}, not a list`);
  return target;
}

function pairs(m: PickleState, target: PyValue, items: readonly PyValue[]): void {
  if (items.length % 2 !== 0) m.fail('has an odd number of items for a dict');
  for (let i = 0; i < items.length; i += 2) m.dictSet(target, items[i]!, items[i + 1]!);
}

export const STRUCTURE_OPS: ReadonlyArray<[number, OpHandler]> = [
  [Op.MARK, (m) => m.pushMark()],
  [Op.POP, (m) => m.discard()],
  [Op.POP_MARK, (m) => void m.popMark()],
  [Op.DUP, (m) => m.push(m.top())],
  [Op.EMPTY_TUPLE, (m) => m.push(new PyTuple([]))],
  [Op.TUPLE1, (m) => m.push(new PyTuple([m.pop()]))],
  [Op.TUPLE2, (m) => {
    const b = m.pop();
    m.push(new PyTuple([m.pop(), b]));
  }],
  [Op.TUPLE3, (m) => {
    const c = m.pop();
    const b = m.pop();
    m.push(new PyTuple([m.pop(), b, c]));
  }],
  [Op.TUPLE, (m) => m.push(new PyTuple(m.popMark()))],
  [Op.EMPTY_LIST, (m) => m.push([])],
  [Op.LIST, (m) => m.push(m.popMark())],
  [Op.APPEND, (m) => {
    const v = m.pop();
    list(m).push(v);
  }],
  [Op.APPENDS, (m) => {
    const items = m.popMark();
    list(m).push(...items);
  }],
  [Op.EMPTY_DICT, (m) => m.push(new PyDict(false))],
  [Op.DICT, (m) => {
    const items = m.popMark();
    const d = new PyDict(false);
    pairs(m, d, items);
    m.push(d);
  }],
  [Op.SETITEM, (m) => {
    const value = m.pop();
    const key = m.pop();
    m.dictSet(m.top(), key, value);
  }],
  [Op.SETITEMS, (m) => {
    const items = m.popMark();
    pairs(m, m.top(), items);
  }],
  [Op.EMPTY_SET, (m) => m.push(new PySet([], false))],
  [Op.ADDITEMS, (m) => {
    const items = m.popMark();
    const set = m.top();
    if (!(set instanceof PySet) || set.frozen) throw m.error(`adds items to a ${typeName(set)}, not a set`);
    set.items.push(...items);
  }],
  [Op.FROZENSET, (m) => m.push(new PySet(m.popMark(), true))],
  [Op.GET, (m) => m.push(m.memoGet(Number(readIntText(m, m.line()))))],
  [Op.BINGET, (m) => m.push(m.memoGet(m.u8()))],
  [Op.LONG_BINGET, (m) => m.push(m.memoGet(m.u32()))],
  [Op.PUT, (m) => m.memoPut(Number(readIntText(m, m.line())))],
  [Op.BINPUT, (m) => m.memoPut(m.u8())],
  [Op.LONG_BINPUT, (m) => m.memoPut(m.u32())],
  [Op.MEMOIZE, (m) => m.memoPut(m.memoSize)],
];
