/**
 * Work buffers the synchronous mask passes reuse from call to call (internal to the image module).
 *
 * A fresh large typed array is memory the process has never touched: the kernel maps it page by
 * page on first write. On the VMs this runs on that costs about 4 ms per MB (measured: writing a
 * fresh 4.4 MB Float32Array 17 ms, a reused one 0.5 ms), more than the passes themselves. A buffer
 * taken here is valid until the next take of the same slot, so it must never leave the function
 * that took it, nor live across an await. Buffers over MAX_KEPT_BYTES are not kept.
 */

const MAX_KEPT_BYTES = 16 << 20;
const kept = new Map<string, ArrayBuffer>();

function bytes(slot: string, byteLength: number): ArrayBuffer {
  if (byteLength > MAX_KEPT_BYTES) return new ArrayBuffer(byteLength);
  const have = kept.get(slot);
  if (have && have.byteLength >= byteLength) return have;
  const fresh = new ArrayBuffer(byteLength);
  kept.set(slot, fresh);
  return fresh;
}

/** A zero-filled Uint8Array of `length` over the slot's buffer. */
export function scratchUint8(slot: string, length: number): Uint8Array {
  return new Uint8Array(bytes(slot, length), 0, length).fill(0);
}

/** A zero-filled Float32Array of `length` over the slot's buffer. */
export function scratchFloat32(slot: string, length: number): Float32Array {
  return new Float32Array(bytes(slot, length * 4), 0, length).fill(0);
}

/** A zero-filled Float64Array of `length` over the slot's buffer. */
export function scratchFloat64(slot: string, length: number): Float64Array {
  return new Float64Array(bytes(slot, length * 8), 0, length).fill(0);
}
