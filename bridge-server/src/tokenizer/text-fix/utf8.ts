/**
 * Strict UTF-8 decoding as Python's codec does it (no overlongs, no surrogates, nothing past
 * U+10FFFF), and ftfy's "utf-8-variants": the same plus Java's C0 80 for NUL and CESU-8's
 * six-byte surrogate pairs. Returns undefined where Python would raise UnicodeDecodeError.
 */
export function decodeUtf8(bytes: Uint8Array, variants: boolean): string | undefined {
  const out: number[] = [];
  let i = 0;
  const n = bytes.length;
  const cont = (k: number): number => {
    const b = bytes[k];
    return b !== undefined && (b & 0xc0) === 0x80 ? b & 0x3f : -1;
  };
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      out.push(b);
      i += 1;
      continue;
    }
    if (variants && b === 0xc0 && bytes[i + 1] === 0x80) {
      out.push(0);
      i += 2;
      continue;
    }
    if (variants && b === 0xed && isCesuPair(bytes, i)) {
      const cp = (((bytes[i + 1] as number) & 0x0f) << 16) + (((bytes[i + 2] as number) & 0x3f) << 10) + (((bytes[i + 4] as number) & 0x0f) << 6) + ((bytes[i + 5] as number) & 0x3f) + 0x10000;
      out.push(cp);
      i += 6;
      continue;
    }
    if (b >= 0xc2 && b <= 0xdf) {
      const c1 = cont(i + 1);
      if (c1 < 0) return undefined;
      out.push(((b & 0x1f) << 6) | c1);
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      const second = bytes[i + 1] ?? 0;
      if (b === 0xe0 && second < 0xa0) return undefined;
      if (b === 0xed && second >= 0xa0) return undefined;
      const c1 = cont(i + 1);
      const c2 = cont(i + 2);
      if (c1 < 0 || c2 < 0) return undefined;
      out.push(((b & 0x0f) << 12) | (c1 << 6) | c2);
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const second = bytes[i + 1] ?? 0;
      if (b === 0xf0 && second < 0x90) return undefined;
      if (b === 0xf4 && second >= 0x90) return undefined;
      const c1 = cont(i + 1);
      const c2 = cont(i + 2);
      const c3 = cont(i + 3);
      if (c1 < 0 || c2 < 0 || c3 < 0) return undefined;
      out.push(((b & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3);
      i += 4;
    } else {
      return undefined;
    }
  }
  let s = '';
  for (let k = 0; k < out.length; k += 4096) s += String.fromCodePoint(...out.slice(k, k + 4096));
  return s;
}

function isCesuPair(bytes: Uint8Array, i: number): boolean {
  const at = (k: number) => bytes[i + k] ?? -1;
  const inRange = (v: number, lo: number, hi: number) => v >= lo && v <= hi;
  return at(0) === 0xed && inRange(at(1), 0xa0, 0xaf) && inRange(at(2), 0x80, 0xbf) && at(3) === 0xed && inRange(at(4), 0xb0, 0xbf) && inRange(at(5), 0x80, 0xbf);
}

/** UTF-8 bytes of a string (lone surrogates as U+FFFD, which ftfy has already replaced). */
export function encodeUtf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
