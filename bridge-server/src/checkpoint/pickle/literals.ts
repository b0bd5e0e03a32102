/** Decoding of the literal forms pickle's older opcodes carry (Python 2 era text, little-endian longs). */

const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A Python int as a number when it is exactly representable, else as a bigint. */
export function pyInt(value: bigint): number | bigint {
  return value >= SAFE_MIN && value <= SAFE_MAX ? Number(value) : value;
}

/** INT/LONG/GET/PUT text ("123", "-5", "12345678901234567890L"); undefined when not an integer. */
export function parseIntText(text: string): number | bigint | undefined {
  const t = text.endsWith('L') ? text.slice(0, -1) : text;
  return /^[+-]?\d+$/.test(t) ? pyInt(BigInt(t)) : undefined;
}

/** LONG1/LONG4 payload: little-endian two's complement. */
export function decodeLong(bytes: Uint8Array): number | bigint {
  const n = bytes.byteLength;
  if (n === 0) return 0;
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return pyInt(v);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v',
};

/**
 * Python string-literal escapes (STRING's quoted text: \n, \xNN, octal, \u...), or with
 * `rawUnicode` only \uXXXX and \UXXXXXXXX (UNICODE's raw-unicode-escape). Unknown escapes stay.
 */
export function unescapePython(text: string, rawUnicode: boolean): string {
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
      const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
      if (n === 'x') [rep, used] = [hex(2), 4];
      else if (octal !== null) [rep, used] = [String.fromCharCode(parseInt(octal[0], 8) & 0xff), 1 + octal[0].length];
      else rep = SIMPLE_ESCAPES[n];
    }
    if (rep === undefined) out += c;
    else {
      out += rep;
      i += used - 1;
    }
  }
  return out;
}
