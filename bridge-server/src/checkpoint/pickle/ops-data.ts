/** Opcodes that push plain data: constants, numbers, text and bytes. */
import { decodeLong, parseIntText, unescapePython } from './literals.js';
import { Op } from './opcodes.js';
import type { PickleState } from './state.js';

export type OpHandler = (m: PickleState) => void;

/** Longest LONG1/LONG4 integer accepted, in bytes: no checkpoint needs more than 8. */
const MAX_LONG_BYTES = 64;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

function int(m: PickleState, text: string): number | bigint {
  const v = parseIntText(text);
  if (v === undefined) m.fail(`bad integer ${JSON.stringify(text)}`);
  return v;
}

function long(m: PickleState, n: number): number | bigint {
  if (n < 0) m.fail('negative LONG4 length');
  if (n > MAX_LONG_BYTES) m.fail(`a ${n}-byte integer is longer than any checkpoint needs`);
  return decodeLong(m.take(n));
}

function quoted(m: PickleState, text: string): string {
  const q = text[0];
  if (text.length < 2 || (q !== "'" && q !== '"') || text[text.length - 1] !== q) m.fail('STRING argument is not quoted');
  return unescapePython(text.slice(1, -1), false);
}

export const DATA_OPS: ReadonlyArray<[number, OpHandler]> = [
  [Op.NONE, (m) => m.push(null)],
  [Op.NEWTRUE, (m) => m.push(true)],
  [Op.NEWFALSE, (m) => m.push(false)],
  [Op.INT, (m) => {
    const text = m.line();
    // Protocol 0 spells booleans as INT 01 / 00.
    m.push(text === '01' ? true : text === '00' ? false : int(m, text));
  }],
  [Op.BININT, (m) => m.push(m.i32())],
  [Op.BININT1, (m) => m.push(m.u8())],
  [Op.BININT2, (m) => m.push(m.u16())],
  [Op.LONG, (m) => m.push(int(m, m.line()))],
  [Op.LONG1, (m) => m.push(long(m, m.u8()))],
  [Op.LONG4, (m) => m.push(long(m, m.i32()))],
  [Op.FLOAT, (m) => {
    const text = m.line().trim();
    const v = Number(text);
    if (text === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(text))) m.fail(`bad float ${JSON.stringify(text)}`);
    m.push(v);
  }],
  [Op.BINFLOAT, (m) => m.push(m.f64be())],
  [Op.STRING, (m) => m.push(quoted(m, m.line()))],
  // Python 2 str: read as latin-1 text (torch.load's encoding for old pickles).
  [Op.BINSTRING, (m) => {
    const n = m.i32();
    if (n < 0) m.fail('negative BINSTRING length');
    m.push(latin1.decode(m.take(n)));
  }],
  [Op.SHORT_BINSTRING, (m) => m.push(latin1.decode(m.take(m.u8())))],
  [Op.UNICODE, (m) => m.push(unescapePython(m.line(), true))],
  [Op.BINUNICODE, (m) => m.push(utf8.decode(m.take(m.u32())))],
  [Op.SHORT_BINUNICODE, (m) => m.push(utf8.decode(m.take(m.u8())))],
  [Op.BINUNICODE8, (m) => m.push(utf8.decode(m.take(m.u64())))],
  [Op.BINBYTES, (m) => m.push(m.take(m.u32()).slice())],
  [Op.SHORT_BINBYTES, (m) => m.push(m.take(m.u8()).slice())],
  [Op.BINBYTES8, (m) => m.push(m.take(m.u64()).slice())],
  [Op.BYTEARRAY8, (m) => m.push(m.take(m.u64()).slice())],
  [Op.NEXT_BUFFER, (m) => m.fail('out-of-band buffers cannot come from a file')],
  [Op.READONLY_BUFFER, (m) => m.fail('out-of-band buffers cannot come from a file')],
];

export { int as readIntText };
