import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointError } from '../checkpoint-error.js';
import { findTorchPython, runPython } from '../testing/torch-python.js';
import { TorchPicklePolicy } from '../torch-policy.js';
import { unpickle } from './machine.js';
import { PyDict, PyGlobal, PySet, PyTuple, type PyValue } from './values.js';

/** Python's pickle is the reference: it pickles (and, for hand-made streams, unpickles) and canonicalises. */
const REFERENCE = String.raw`
import json, pickle, sys
def canon(o):
    if isinstance(o, bool) or o is None or isinstance(o, str):
        return o
    if isinstance(o, int):
        return o if -2**53 < o < 2**53 else {'int': str(o)}
    if isinstance(o, float):
        # JavaScript keeps one number type: integral floats read as the integer they equal.
        if o.is_integer() and not (o == 0 and str(o).startswith('-')):
            return canon(int(o))
        return {'float': repr(o)}
    if isinstance(o, (bytes, bytearray)):
        return {'bytes': bytes(o).hex()}
    if isinstance(o, tuple):
        return {'tuple': [canon(x) for x in o]}
    if isinstance(o, list):
        return [canon(x) for x in o]
    if isinstance(o, dict):
        return {'dict': [[canon(k), canon(v)] for k, v in o.items()]}
    if isinstance(o, (set, frozenset)):
        return {'set': sorted(json.dumps(canon(x)) for x in o)}
    raise TypeError(type(o))
shared = [1, 2]
values = {
    'nested': {'a': [1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**63, -2**70, 2**70], 'b': (1.5, -0.0, 1e308, 5e-324, 0.1)},
    'strings': ['', 'ascii', 'ünïcødé ✓ \U0001F600', 'new\nline', 'back\\slash', 'x' * 300],
    'shared': (shared, shared),
    'tuples': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
    'consts': [True, False, None],
    'sets': [set(), {1, 2, 3}, frozenset({'a'})],
    'int_keys': {1: 'one', -2: 'minus two', (1, 'a'): 'tuple key'},
}
cases = []
for proto in range(0, 6):
    data = dict(values)
    if proto >= 3:
        data['bytes'] = [b'', b'\x00\xff' * 10, bytearray(b'ba')]
    cases.append(['protocol %d' % proto, pickle.dumps(data, protocol=proto).hex(), canon(data)])
# Hand-made streams in the older text opcodes (Python 2 era), read back by Python itself.
hand = [
    b"(lp0\nI1\naI-3\naL12345678901234567890L\naF2.5\naS'a\\nb\\x41\\'c\\\\'\naI01\naI00\naNa.",
    b"(dp0\nS'k'\np1\n(I1\nI2\ntp2\nsg1\ng2\ns.",
    b"(I1\nI2\n0I3\n(I9\n1I4\n2l.",
    b"\x80\x02]q\x00(K\x01M\x00\x01J\xff\xff\xff\xff\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x8b\x01\x00\x00\x00\x80e.",
    b"\x80\x02(X\x01\x00\x00\x00aX\x01\x00\x00\x00bd.",
    b"\x80\x02U\x03abcT\x03\x00\x00\x00dec\x86.",
    b"\x80\x02G?\xf8\x00\x00\x00\x00\x00\x00\x85.",
    b"(Vcaf\\u00e9\nV\\U0001f600\nt.",
]
for i, b in enumerate(hand):
    cases.append(['hand-made %d' % i, b.hex(), canon(pickle.loads(b, encoding='latin1'))])
print(json.dumps(cases))
`;

type Canon = null | boolean | number | string | Canon[] | { [k: string]: Canon };

function canon(v: PyValue): Canon {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || Object.is(v, -0)) return { float: pyRepr(v) };
    return Number.isSafeInteger(v) ? v : { int: BigInt(v).toString() };
  }
  if (typeof v === 'bigint') return { int: v.toString() };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(canon);
  if (v instanceof PyTuple) return { tuple: v.items.map(canon) };
  if (v instanceof PyDict) return { dict: [...v.entries()].map(([k, x]) => [canon(k), canon(x)]) };
  if (v instanceof PySet) return { set: v.items.map((x) => JSON.stringify(canon(x))).sort() };
  throw new Error(`unexpected ${String(v)}`);
}

/** Python's float repr for the values used here. */
function pyRepr(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const s = String(x);
  return s.replace(/e\+?/, 'e+').replace('e+-', 'e-');
}

function load(bytes: Uint8Array): PyValue {
  return unpickle(bytes, new TorchPicklePolicy({ file: 'test.pkl', entry: 'data.pkl' }), { file: 'test.pkl', entry: 'data.pkl' });
}

test("the machine reads protocols 0-5 and Python 2's text opcodes to the same data Python does", async () => {
  const python = (await findTorchPython())?.python ?? 'python3';
  const { stdout } = await runPython(python, REFERENCE);
  const cases = JSON.parse(stdout) as Array<[string, string, Canon]>;
  assert.equal(cases.length, 14);
  for (const [name, hex, expected] of cases) {
    const value = load(Buffer.from(hex, 'hex'));
    // Python's json writes 1e+308 style exponents; normalise both sides through the same repr.
    assert.deepEqual(JSON.parse(JSON.stringify(canon(value))), JSON.parse(JSON.stringify(expected)), name);
  }
});

test('memo sharing survives: one object, referenced twice', () => {
  const shared = load(Buffer.from('80025d7100284b014b026568008671012e', 'hex')) as PyValue;
  assert.ok(shared instanceof PyTuple);
  const [a, b] = shared.items;
  assert.ok(Array.isArray(a));
  assert.equal(a, b);
});

test('malformed pickles are typed errors with the byte offset, never crashes', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /ends without STOP/],
    ['8002', /ends without STOP/],
    ['80024a0100', /needs 4 more bytes/],
    ['80025801000000', /needs 1 more bytes/],
    ['8006', /protocol 6/],
    ['80026805', /memo slot 5/],
    ['800228', /ends without STOP/],
    ['8002302e', /pops from an empty stack/],
    ['8002612e', /empty stack/],
    ['800228322e', /needs a value but finds a MARK/],
    ['80024b01287d732e', /pops a MARK as a value/],
    ['80024b014b02612e', /appends to a int/],
    ['80027d5d4b01732e', /uses a list as a dict key/],
    ['8002ff', /not a pickle opcode/],
    ['80024b014b02522e', /REDUCE arguments are a int/],
    ['80028aff2e', /longer than any checkpoint needs/],
    ['800297', /out-of-band buffers/],
    ['8002742e', /no MARK/],
    ['8002284b0164', /odd number of items/],
  ];
  for (const [hex, pattern] of bad) {
    assert.throws(
      () => load(Buffer.from(hex, 'hex')),
      (err: unknown) => err instanceof CheckpointError && err.code === 'checkpoint_invalid' && pattern.test(err.message) && /at byte \d+/.test(err.message),
      hex,
    );
  }
});

test('GLOBAL resolves only allowed names, to inert values', () => {
  const od = load(Buffer.from('800263636f6c6c656374696f6e730a4f726465726564446963740a2e', 'hex'));
  assert.ok(od instanceof PyGlobal);
  assert.equal(od.qualifiedName, 'collections.OrderedDict');
  assert.throws(() => load(new TextEncoder().encode('cos\nsystem\n.')), { code: 'checkpoint_unsafe', message: /"os\.system"/ });
  assert.throws(() => load(new TextEncoder().encode('ctorch\nload\n.')), { code: 'checkpoint_unsafe', message: /"torch\.load"/ });
  assert.throws(() => load(new TextEncoder().encode('ctorch._utils\n_rebuild_qtensor\n.')), { code: 'checkpoint_unsafe' });
});
