/**
 * Opcodes that would look up names, call things or create objects. Each goes to the policy,
 * which answers with inert data or refuses; nothing is resolved or called here.
 */
import type { OpHandler } from './ops-data.js';
import { Op } from './opcodes.js';
import { PyDict, typeName, type PyValue } from './values.js';

export const OBJECT_OPS: ReadonlyArray<[number, OpHandler]> = [
  [Op.GLOBAL, (m) => {
    const module = m.line();
    const name = m.line();
    m.push(m.policy.global(module, name));
  }],
  [Op.STACK_GLOBAL, (m) => {
    const name = m.pop();
    const module = m.pop();
    if (typeof module !== 'string' || typeof name !== 'string') throw m.error('STACK_GLOBAL names are not strings');
    m.push(m.policy.global(module, name));
  }],
  // INST: module and name inline, arguments above the MARK.
  [Op.INST, (m) => {
    const module = m.line();
    const name = m.line();
    const cls = m.policy.global(module, name);
    m.push(m.policy.call(cls, m.popMark()));
  }],
  // OBJ: class and arguments above the MARK.
  [Op.OBJ, (m) => {
    const items = m.popMark();
    if (items.length === 0) m.fail('OBJ without a class');
    const [cls, ...args] = items as [PyValue, ...PyValue[]];
    m.push(m.policy.call(cls, args));
  }],
  [Op.REDUCE, (m) => {
    const args = m.tupleArgs(m.pop(), 'REDUCE');
    m.push(m.policy.call(m.pop(), args));
  }],
  [Op.NEWOBJ, (m) => {
    const args = m.tupleArgs(m.pop(), 'NEWOBJ');
    m.push(m.policy.newObject(m.pop(), args, undefined));
  }],
  [Op.NEWOBJ_EX, (m) => {
    const kwargs = m.pop();
    const args = m.tupleArgs(m.pop(), 'NEWOBJ_EX');
    const cls = m.pop();
    if (!(kwargs instanceof PyDict)) throw m.error(`NEWOBJ_EX keyword arguments are a ${typeName(kwargs)}`);
    m.push(m.policy.newObject(cls, args, kwargs));
  }],
  [Op.BUILD, (m) => {
    const state = m.pop();
    m.policy.build(m.top(), state);
  }],
  [Op.PERSID, (m) => m.push(m.policy.persistentLoad(m.line()))],
  [Op.BINPERSID, (m) => m.push(m.policy.persistentLoad(m.pop()))],
  [Op.EXT1, (m) => m.fail('copyreg extension codes name code by number; refused')],
  [Op.EXT2, (m) => m.fail('copyreg extension codes name code by number; refused')],
  [Op.EXT4, (m) => m.fail('copyreg extension codes name code by number; refused')],
];
