/**
 * float16 -> float32 with WebAssembly SIMD: 8 halves per step, exact for every bit pattern.
 * For the magnitude bits `em` of a half: as_float32(em << 13) * 2^112 is the half's value for
 * zeros, subnormals and normal numbers alike (a power-of-two rescale of the exponent bias);
 * infinities and NaNs (em >= 0x7c00) instead take exponent 0xff with the payload kept; the sign
 * is ORed back. The module is assembled here from named opcodes (WebAssembly core spec, SIMD
 * encodings) and works on a small buffer of its own that callers copy through in chunks.
 */

// Opcodes (core and 0xfd-prefixed SIMD; the SIMD ones are LEB128, hence two bytes above 0x7f).
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, I32_CONST = 0x41, I32_ADD = 0x6a, I32_SHL = 0x74, I32_GE_U = 0x4f;
const I32 = 0x7f, V128 = 0x7b;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00], V128_STORE = [SIMD, 0x0b], V128_CONST = [SIMD, 0x0c];
const V128_AND = [SIMD, 0x4e], V128_OR = [SIMD, 0x50], V128_BITSELECT = [SIMD, 0x52];
const I32X4_GT_S = [SIMD, 0x3b], F32X4_MUL = [SIMD, 0xe6, 0x01];
const I32X4_EXTEND_LOW_I16X8_U = [SIMD, 0xa9, 0x01], I32X4_EXTEND_HIGH_I16X8_U = [SIMD, 0xaa, 0x01];
const I32X4_SHL = [SIMD, 0xab, 0x01];

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

function i32x4(value: number): number[] {
  const b = new Uint8Array(new Uint32Array([value, value, value, value]).buffer);
  return [...V128_CONST, ...b];
}

const memarg = (offset: number): number[] => [0, ...leb(offset)]; // alignment hint 1 byte

// Parameters 0..2 (src, dst, n halves), then locals: 3 end (i32), 4 v, 5 x, 6 sh (v128).
const [SRC, DST, N, STOP, V, X, SH] = [0, 1, 2, 3, 4, 5, 6];
const get = (i: number) => [LOCAL_GET, i];
const set = (i: number) => [LOCAL_SET, i];

/** The widened i32x4 on the stack (unsigned halves) -> float32 bits. */
const convertLanes = [
  ...set(X),
  // sh = (x & 0x7fff) << 13: the magnitude in float32's exponent and mantissa position
  ...get(X), ...i32x4(0x7fff), ...V128_AND, I32_CONST, 13, ...I32X4_SHL, ...set(SH),
  // special = sh | 0x7f800000 (infinity, or NaN with its payload)
  ...get(SH), ...i32x4(0x7f800000), ...V128_OR,
  // finite = as_f32(sh) * 2^112 (0x77800000): rebias, exact for normal and subnormal halves
  ...get(SH), ...i32x4(0x77800000), ...F32X4_MUL,
  // take special where the half's exponent is all ones (sh > 0x7bff << 13)
  ...get(SH), ...i32x4(0x0f7fe000), ...I32X4_GT_S,
  ...V128_BITSELECT,
  // | sign << 16
  ...get(X), ...i32x4(0x8000), ...V128_AND, I32_CONST, 16, ...I32X4_SHL, ...V128_OR,
];

const f16Body = [
  2, 1, I32, 3, V128, // locals
  ...get(SRC), ...get(N), I32_CONST, 1, I32_SHL, I32_ADD, ...set(STOP),
  BLOCK, VOID, LOOP, VOID,
  ...get(SRC), ...get(STOP), I32_GE_U, BR_IF, 1,
  ...get(SRC), ...V128_LOAD, ...memarg(0), ...set(V),
  ...get(DST), ...get(V), ...I32X4_EXTEND_LOW_I16X8_U, ...convertLanes, ...V128_STORE, ...memarg(0),
  ...get(DST), ...get(V), ...I32X4_EXTEND_HIGH_I16X8_U, ...convertLanes, ...V128_STORE, ...memarg(16),
  ...get(SRC), I32_CONST, 16, I32_ADD, ...set(SRC),
  ...get(DST), I32_CONST, ...sleb(32), I32_ADD, ...set(DST),
  BR, 0,
  END, END,
  END,
];

function section(id: number, payload: number[]): number[] {
  return [id, ...leb(payload.length), ...payload];
}

function moduleBytes(pages: number): Uint8Array {
  const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, I32, I32, I32, 0]), // type: (i32, i32, i32) -> ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, ...leb(pages)]), // memory, fixed size
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('f16'), 0x00, 0]),
    ...section(10, [1, ...leb(f16Body.length), ...f16Body]),
  ]);
}

/** Halves converted per call: 64 Ki (128 KiB in, 256 KiB out: cache-sized). */
export const SIMD_CHUNK = 65536;
const IN_AT = 0;
const OUT_AT = SIMD_CHUNK * 2;

export interface HalfConverter {
  /** Converts src (a multiple of 8 halves, at most SIMD_CHUNK) into out as float32 bits. */
  convert(src: Uint16Array, out: Uint32Array): void;
}

/** The part of the WebAssembly JS API used here (the project's TypeScript lib has no DOM/wasm types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

function instantiate(): HalfConverter | undefined {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    const bytes = moduleBytes(Math.ceil((OUT_AT + SIMD_CHUNK * 4) / 65536));
    if (wasm === undefined || !wasm.validate(bytes)) return undefined;
    const { exports } = new wasm.Instance(new wasm.Module(bytes));
    const memory = exports['memory'] as { buffer: ArrayBuffer };
    const f16 = exports['f16'] as (src: number, dst: number, n: number) => void;
    const input = new Uint16Array(memory.buffer, IN_AT, SIMD_CHUNK);
    const output = new Uint32Array(memory.buffer, OUT_AT, SIMD_CHUNK);
    return {
      convert(src: Uint16Array, out: Uint32Array): void {
        const n = src.length;
        input.set(src);
        f16(IN_AT, OUT_AT, n);
        out.set(n === SIMD_CHUNK ? output : output.subarray(0, n));
      },
    };
  } catch {
    return undefined; // no WebAssembly SIMD here: callers use the scalar path
  }
}

/** The SIMD converter, or undefined where WebAssembly SIMD is unavailable. */
export const halfSimd: HalfConverter | undefined = instantiate();
