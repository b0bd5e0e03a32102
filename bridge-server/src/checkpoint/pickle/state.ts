/**
 * The pickle machine's state: the byte stream, the stack with its MARKs, the memo. Opcode
 * handlers (ops-*.ts) work through these methods; every malformed case becomes a typed error
 * with the opcode and its byte offset.
 */
import { invalidCheckpoint, type CheckpointError } from '../checkpoint-error.js';
import { opName } from './opcodes.js';
import type { PicklePolicy } from './policy.js';
import { PyDict, PyTuple, typeName, UnhashableKeyError, type PyValue } from './values.js';

export interface UnpickleOptions {
  /** File and archive entry, for messages. */
  readonly file: string;
  readonly entry: string;
}

class Mark {}
const MARK = new Mark();
type Slot = PyValue | Mark;

const latin1 = new TextDecoder('latin1');

export class PickleState {
  pos = 0;
  /** The opcode being run and where it started, for messages. */
  op = 0;
  opStart = 0;
  private readonly stack: Slot[] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly policy: PicklePolicy,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The typed error for the opcode being run. */
  error(message: string): CheckpointError {
    return invalidCheckpoint(this.options.file, `pickle opcode ${opName(this.op)} at byte ${this.opStart}: ${message}`, this.options.entry);
  }

  fail(message: string): never {
    throw this.error(message);
  }

  // ---- the stream

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.byteLength) this.fail(`needs ${n} more bytes but the pickle ends (truncated)`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.bytes[this.need(1)]!;
  }

  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }

  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }

  /** A u64 length, which cannot exceed what is left of the pickle. */
  u64(): number {
    const v = this.view.getBigUint64(this.need(8), true);
    if (v > BigInt(this.bytes.byteLength)) this.fail(`length ${v} is longer than the whole pickle`);
    return Number(v);
  }

  f64be(): number {
    return this.view.getFloat64(this.need(8), false);
  }

  take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  /** A text argument up to the next newline (protocol 0 opcodes). */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('missing newline (truncated)');
    const text = latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  // ---- the stack

  push(v: PyValue): void {
    this.stack.push(v);
  }

  pushMark(): void {
    this.stack.push(MARK);
  }

  /** POP: drops the top slot, value or MARK, as CPython does. */
  discard(): void {
    if (this.stack.length === 0) this.fail('pops from an empty stack');
    this.stack.pop();
  }

  pop(): PyValue {
    if (this.stack.length === 0) this.fail('pops from an empty stack');
    const v = this.stack.pop();
    if (v instanceof Mark) this.fail('pops a MARK as a value');
    return v as PyValue;
  }

  top(): PyValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined) this.fail('needs a value on an empty stack');
    if (v instanceof Mark) this.fail('needs a value but finds a MARK');
    return v;
  }

  /** Everything above the topmost MARK, which is removed too. */
  popMark(): PyValue[] {
    let i = this.stack.length - 1;
    while (i >= 0 && !(this.stack[i] instanceof Mark)) i--;
    if (i < 0) this.fail('has no MARK to pop to');
    const items = this.stack.splice(i + 1) as PyValue[];
    this.stack.pop();
    return items;
  }

  // ---- the memo

  memoGet(index: number): PyValue {
    const v = this.memo.get(index);
    if (v === undefined) this.fail(`reads memo slot ${index}, which was never written`);
    return v;
  }

  memoPut(index: number): void {
    this.memo.set(index, this.top());
  }

  get memoSize(): number {
    return this.memo.size;
  }

  // ---- typed helpers

  dictSet(target: PyValue, key: PyValue, value: PyValue): void {
    if (!(target instanceof PyDict)) this.fail(`sets an item on a ${typeName(target)}, not a dict`);
    try {
      target.set(key, value);
    } catch (err) {
      if (err instanceof UnhashableKeyError) this.fail(`uses a ${err.message} as a dict key`);
      throw err;
    }
  }

  tupleArgs(value: PyValue, what: string): readonly PyValue[] {
    if (!(value instanceof PyTuple)) this.fail(`${what} arguments are a ${typeName(value)}, not a tuple`);
    return value.items;
  }
}
