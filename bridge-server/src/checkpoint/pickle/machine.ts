/**
 * A pickle virtual machine for protocols 0-5 that executes nothing: it builds plain data
 * (values.ts) and hands every name lookup and call to a policy (policy.ts). Malformed input is
 * refused with the byte offset and opcode; resource use is bounded by the input size.
 */
import { invalidCheckpoint } from '../checkpoint-error.js';
import type { PicklePolicy } from './policy.js';
import { PyDict, PySet, PyTuple, typeName, UnhashableKeyError, type PyValue } from './values.js';

/** Longest LONG1/LONG4 integer accepted, in bytes: no checkpoint needs more than 8. */
const MAX_LONG_BYTES = 64;

export interface UnpickleOptions {
  /** File and archive entry, for messages. */
  readonly file: string;
  readonly entry: string;
}

class Mark {}
const MARK = new Mark();
type Slot = PyValue | Mark;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

export function unpickle(bytes: Uint8Array, policy: PicklePolicy, options: UnpickleOptions): PyValue {
  return new Machine(bytes, policy, options).run();
}

class Machine {
  private pos = 0;
  private opStart = 0;
  private op = 0;
  private readonly stack: Slot[] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly policy: PicklePolicy,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(message: string): never {
    const opName = `0x${this.op.toString(16).padStart(2, '0')}${this.op >= 0x20 && this.op < 0x7f ? ` '${String.fromCharCode(this.op)}'` : ''}`;
    throw invalidCheckpoint(this.options.file, `pickle opcode ${opName} at byte ${this.opStart}: ${message}`, this.options.entry);
  }

  // ---- reading the stream

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.byteLength) this.fail(`needs ${n} more bytes but the pickle ends (truncated)`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.bytes[this.need(1)]!;
  }

  private u16(): number {
    return this.view.getUint16(this.need(2), true);
  }

  private u32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  private i32(): number {
    return this.view.getInt32(this.need(4), true);
  }

  private u64(): number {
    const at = this.need(8);
    const v = this.view.getBigUint64(at, true);
    if (v > BigInt(this.bytes.byteLength)) this.fail(`length ${v} is longer than the whole pickle`);
    return Number(v);
  }

  private take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  /** A text argument up to the next newline (protocol 0 opcodes). */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('missing newline (truncated)');
    const text = latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  // ---- the stack

  private push(v: PyValue): void {
    this.stack.push(v);
  }

  private pop(): PyValue {
    if (this.stack.length === 0) this.fail('pops from an empty stack');
    const v = this.stack.pop();
    if (v instanceof Mark) this.fail('pops a MARK as a value');
    return v as PyValue;
  }

  private top(): PyValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined) this.fail('needs a value on an empty stack');
    if (v instanceof Mark) this.fail('needs a value but finds a MARK');
    return v;
  }

  /** Everything above the topmost MARK, which is removed too. */
  private popMark(): PyValue[] {
    let i = this.stack.length - 1;
    while (i >= 0 && !(this.stack[i] instanceof Mark)) i--;
    if (i < 0) this.fail('has no MARK to pop to');
    const items = this.stack.splice(i + 1) as PyValue[];
    this.stack.pop();
    return items;
  }

  private memoGet(index: number): PyValue {
    const v = this.memo.get(index);
    if (v === undefined) this.fail(`reads memo slot ${index}, which was never written`);
    return v;
  }

  private memoPut(index: number): void {
    this.memo.set(index, this.top());
  }

  // ---- values

  private dictSet(target: PyValue, key: PyValue, value: PyValue): void {
    if (!(target instanceof PyDict)) this.fail(`sets an item on a ${typeName(target)}, not a dict`);
    try {
      target.set(key, value);
    } catch (err) {
      if (err instanceof UnhashableKeyError) this.fail(`uses a ${err.message} as a dict key`);
      throw err;
    }
  }

  private tupleArgs(value: PyValue, what: string): readonly PyValue[] {
    if (!(value instanceof PyTuple)) this.fail(`${what} arguments are a ${typeName(value)}, not a tuple`);
    return value.items;
  }

  private int(text: string): number | bigint {
    const t = text.endsWith('L') ? text.slice(0, -1) : text;
    if (!/^[+-]?\d+$/.test(t)) this.fail(`bad integer ${JSON.stringify(text)}`);
    const big = BigInt(t);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  private long(n: number): number | bigint {
    if (n > MAX_LONG_BYTES) this.fail(`a ${n}-byte integer is longer than any checkpoint needs`);
    const b = this.take(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** Protocol-0 STRING: a quoted Python literal with backslash escapes. */
  private quoted(text: string): string {
    const q = text[0];
    if (text.length < 2 || (q !== "'" && q !== '"') || text[text.length - 1] !== q) this.fail('STRING argument is not quoted');
    return unescapePython(text.slice(1, -1), false);
  }

  run(): PyValue {
    const bytes = this.bytes;
    for (;;) {
      if (this.pos >= bytes.byteLength) {
        this.opStart = this.pos;
        this.fail('the pickle ends without STOP (truncated)');
      }
      this.opStart = this.pos;
      const op = bytes[this.pos++]!;
      this.op = op;
      switch (op) {
        case 0x80: {
          // PROTO
          const v = this.u8();
          if (v > 5) this.fail(`pickle protocol ${v} is newer than 5`);
          break;
        }
        case 0x95: // FRAME: framing only
          this.u64();
          break;
        case 0x2e: // STOP '.'
          return this.pop();
        case 0x28: // MARK '('
          this.stack.push(MARK);
          break;
        case 0x30: // POP '0'
          if (this.stack.length === 0) this.fail('pops from an empty stack');
          this.stack.pop();
          break;
        case 0x31: // POP_MARK '1'
          this.popMark();
          break;
        case 0x32: // DUP '2'
          this.push(this.top());
          break;

        // -- constants and numbers
        case 0x4e: // NONE 'N'
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x49: {
          // INT 'I'
          const text = this.line();
          if (text === '01') this.push(true);
          else if (text === '00') this.push(false);
          else this.push(this.int(text));
          break;
        }
        case 0x4a: // BININT 'J'
          this.push(this.i32());
          break;
        case 0x4b: // BININT1 'K'
          this.push(this.u8());
          break;
        case 0x4d: // BININT2 'M'
          this.push(this.u16());
          break;
        case 0x4c: // LONG 'L'
          this.push(this.int(this.line()));
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: {
          // LONG4
          const n = this.i32();
          if (n < 0) this.fail('negative LONG4 length');
          this.push(this.long(n));
          break;
        }
        case 0x46: {
          // FLOAT 'F'
          const text = this.line().trim();
          const v = Number(text);
          if (text === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(text))) this.fail(`bad float ${JSON.stringify(text)}`);
          this.push(v);
          break;
        }
        case 0x47: // BINFLOAT 'G': big-endian double
          this.push(this.view.getFloat64(this.need(8), false));
          break;

        // -- strings and bytes
        case 0x53: // STRING 'S'
          this.push(this.quoted(this.line()));
          break;
        case 0x54: {
          // BINSTRING 'T' (Python 2 str, read as latin-1 text)
          const n = this.i32();
          if (n < 0) this.fail('negative BINSTRING length');
          this.push(latin1.decode(this.take(n)));
          break;
        }
        case 0x55: // SHORT_BINSTRING 'U'
          this.push(latin1.decode(this.take(this.u8())));
          break;
        case 0x56: // UNICODE 'V': raw-unicode-escape
          this.push(unescapePython(this.line(), true));
          break;
        case 0x58: // BINUNICODE 'X'
          this.push(utf8.decode(this.take(this.u32())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(utf8.decode(this.take(this.u8())));
          break;
        case 0x8d: // BINUNICODE8
          this.push(utf8.decode(this.take(this.u64())));
          break;
        case 0x42: // BINBYTES 'B'
          this.push(this.take(this.u32()).slice());
          break;
        case 0x43: // SHORT_BINBYTES 'C'
          this.push(this.take(this.u8()).slice());
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.push(this.take(this.u64()).slice());
          break;
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          this.fail('out-of-band buffers cannot come from a file');
          break;

        // -- containers
        case 0x29: // EMPTY_TUPLE ')'
          this.push(new PyTuple([]));
          break;
        case 0x85: // TUPLE1
          this.push(new PyTuple([this.pop()]));
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b, c]));
          break;
        }
        case 0x74: // TUPLE 't'
          this.push(new PyTuple(this.popMark()));
          break;
        case 0x5d: // EMPTY_LIST ']'
          this.push([]);
          break;
        case 0x6c: // LIST 'l'
          this.push(this.popMark());
          break;
        case 0x61: {
          // APPEND 'a'
          const v = this.pop();
          const list = this.top();
          if (!Array.isArray(list)) this.fail(`appends to a ${typeName(list)}, not a list`);
          list.push(v);
          break;
        }
        case 0x65: {
          // APPENDS 'e'
          const items = this.popMark();
          const list = this.top();
          if (!Array.isArray(list)) this.fail(`appends to a ${typeName(list)}, not a list`);
          for (const v of items) list.push(v);
          break;
        }
        case 0x7d: // EMPTY_DICT '}'
          this.push(new PyDict(false));
          break;
        case 0x64: {
          // DICT 'd'
          const items = this.popMark();
          if (items.length % 2 !== 0) this.fail('has an odd number of items for a dict');
          const d = new PyDict(false);
          for (let i = 0; i < items.length; i += 2) this.dictSet(d, items[i]!, items[i + 1]!);
          this.push(d);
          break;
        }
        case 0x73: {
          // SETITEM 's'
          const value = this.pop();
          const key = this.pop();
          this.dictSet(this.top(), key, value);
          break;
        }
        case 0x75: {
          // SETITEMS 'u'
          const items = this.popMark();
          if (items.length % 2 !== 0) this.fail('has an odd number of items for a dict');
          const target = this.top();
          for (let i = 0; i < items.length; i += 2) this.dictSet(target, items[i]!, items[i + 1]!);
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new PySet([], false));
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof PySet) || set.frozen) this.fail(`adds items to a ${typeName(set)}, not a set`);
          set.items.push(...items);
          break;
        }
        case 0x91: // FROZENSET
          this.push(new PySet(this.popMark(), true));
          break;

        // -- memo
        case 0x67: // GET 'g'
          this.push(this.memoGet(Number(this.int(this.line()))));
          break;
        case 0x68: // BINGET 'h'
          this.push(this.memoGet(this.u8()));
          break;
        case 0x6a: // LONG_BINGET 'j'
          this.push(this.memoGet(this.u32()));
          break;
        case 0x70: // PUT 'p'
          this.memoPut(Number(this.int(this.line())));
          break;
        case 0x71: // BINPUT 'q'
          this.memoPut(this.u8());
          break;
        case 0x72: // LONG_BINPUT 'r'
          this.memoPut(this.u32());
          break;
        case 0x94: // MEMOIZE
          this.memoPut(this.memo.size);
          break;

        // -- names, calls, objects: all through the policy
        case 0x63: {
          // GLOBAL 'c'
          const module = this.line();
          const name = this.line();
          this.push(this.policy.global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL names are not strings');
          this.push(this.policy.global(module, name));
          break;
        }
        case 0x69: {
          // INST 'i': module and name inline, arguments above the MARK
          const module = this.line();
          const name = this.line();
          const cls = this.policy.global(module, name);
          this.push(this.policy.call(cls, this.popMark()));
          break;
        }
        case 0x6f: {
          // OBJ 'o': class and arguments above the MARK
          const items = this.popMark();
          if (items.length === 0) this.fail('OBJ without a class');
          const [cls, ...args] = items as [PyValue, ...PyValue[]];
          this.push(this.policy.call(cls, args));
          break;
        }
        case 0x52: {
          // REDUCE 'R'
          const args = this.tupleArgs(this.pop(), 'REDUCE');
          const callable = this.pop();
          this.push(this.policy.call(callable, args));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.tupleArgs(this.pop(), 'NEWOBJ');
          const cls = this.pop();
          this.push(this.policy.newObject(cls, args, undefined));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.tupleArgs(this.pop(), 'NEWOBJ_EX');
          const cls = this.pop();
          if (!(kwargs instanceof PyDict)) this.fail(`NEWOBJ_EX keyword arguments are a ${typeName(kwargs)}`);
          this.push(this.policy.newObject(cls, args, kwargs));
          break;
        }
        case 0x62: {
          // BUILD 'b'
          const state = this.pop();
          this.policy.build(this.top(), state);
          break;
        }
        case 0x50: // PERSID 'P'
          this.push(this.policy.persistentLoad(this.line()));
          break;
        case 0x51: // BINPERSID 'Q'
          this.push(this.policy.persistentLoad(this.pop()));
          break;
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: // EXT4
          this.fail('copyreg extension codes name code by number; refused');
          break;
        default:
          this.fail('is not a pickle opcode (corrupt data)');
      }
    }
  }
}

/** Python string-literal escapes (STRING) or raw-unicode-escape (UNICODE: only \u and \U). */
function unescapePython(text: string, rawUnicode: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const n = text[i + 1]!;
    const hex = (len: number): string | undefined => {
      const h = text.slice(i + 2, i + 2 + len);
      const code = h.length === len && /^[0-9a-fA-F]+$/.test(h) ? parseInt(h, 16) : -1;
      return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
    };
    let rep: string | undefined;
    let used = 2;
    if (n === 'u') [rep, used] = [hex(4), 6];
    else if (n === 'U') [rep, used] = [hex(8), 10];
    else if (!rawUnicode) {
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v' };
      const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
      if (n === 'x') [rep, used] = [hex(2), 4];
      else if (octal !== null) [rep, used] = [String.fromCharCode(parseInt(octal[0], 8) & 0xff), 1 + octal[0].length];
      else rep = simple[n];
    }
    if (rep === undefined) out += c;
    else {
      out += rep;
      i += used - 1;
    }
  }
  return out;
}
