/**
 * A reusable read buffer for conversions (stored bytes in, fresh float32 out). Concurrent reads
 * each need their own: whoever finds the buffer taken gets a fresh one, and the larger of the
 * two is kept, so a sequential import settles on one buffer the size of its largest tensor.
 */
export class ScratchBytes {
  private spare: Uint8Array | undefined;

  /** A buffer of exactly `length` bytes (a view), 8-byte aligned for typed-array views. */
  take(length: number): Uint8Array {
    const spare = this.spare;
    if (spare !== undefined && spare.byteLength >= length) {
      this.spare = undefined;
      return spare.subarray(0, length);
    }
    return new Uint8Array(new ArrayBuffer(Math.max(8, Math.ceil(length / 8) * 8)), 0, length);
  }

  give(buffer: Uint8Array): void {
    const whole = new Uint8Array(buffer.buffer, 0, buffer.buffer.byteLength);
    if (this.spare === undefined || this.spare.byteLength < whole.byteLength) this.spare = whole;
  }

  /** Drops the kept buffer (after an import, so its memory can go). */
  clear(): void {
    this.spare = undefined;
  }
}
