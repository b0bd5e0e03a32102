/**
 * A pickle virtual machine for protocols 0-5 that executes nothing: it builds plain data
 * (values.ts) and hands every name lookup and call to a policy (policy.ts). Malformed input is
 * refused with the opcode and its byte offset; work and memory are bounded by the input size
 * (every opcode consumes at least one byte, lengths are checked against what is left).
 */
import { DATA_OPS, type OpHandler } from './ops-data.js';
import { OBJECT_OPS } from './ops-objects.js';
import { STRUCTURE_OPS } from './ops-structure.js';
import { Op } from './opcodes.js';
import type { PicklePolicy } from './policy.js';
import { PickleState, type UnpickleOptions } from './state.js';
import type { PyValue } from './values.js';

export type { UnpickleOptions } from './state.js';

const HANDLERS: ReadonlyArray<OpHandler | undefined> = (() => {
  const table = new Array<OpHandler | undefined>(256).fill(undefined);
  for (const [code, handler] of [...DATA_OPS, ...STRUCTURE_OPS, ...OBJECT_OPS]) table[code] = handler;
  return table;
})();

export function unpickle(bytes: Uint8Array, policy: PicklePolicy, options: UnpickleOptions): PyValue {
  const m = new PickleState(bytes, policy, options);
  for (;;) {
    m.opStart = m.pos;
    if (m.pos >= bytes.byteLength) m.fail('the pickle ends without STOP (truncated)');
    const op = bytes[m.pos++]!;
    m.op = op;
    switch (op) {
      case Op.STOP:
        return m.pop();
      case Op.PROTO: {
        const version = m.u8();
        if (version > 5) m.fail(`pickle protocol ${version} is newer than 5`);
        break;
      }
      case Op.FRAME: // framing only: the frame's bytes follow inline
        m.u64();
        break;
      default: {
        const handler = HANDLERS[op];
        if (handler === undefined) throw m.error('is not a pickle opcode (corrupt data)');
        handler(m);
      }
    }
  }
}
