/**
 * Buffers for weights on their way from a checkpoint to a graph file. A fresh multi-megabyte
 * typed array costs page faults on first touch (about 4 ms per MB on the VMs we measure, more
 * than converting the values), and an import makes one or two per tensor: gigabytes of them.
 * Buffers handed back after a weight is written are lent out again instead.
 *
 * Only buffers this pool lent are kept when given back; anything else is ignored, so giving back
 * a foreign array is harmless. Whoever gives a buffer back must hold the only reference to it.
 */
const MAX_SPARE = 4;

export class WeightBuffers {
  private readonly lent = new WeakSet<ArrayBuffer>();
  private spare: ArrayBuffer[] = [];

  /** A zero-offset view of `length` float32 elements (contents undefined). */
  float32(length: number): Float32Array {
    return new Float32Array(this.take(length * 4), 0, length);
  }

  /** A zero-offset view of `length` float16 bit patterns (contents undefined). */
  uint16(length: number): Uint16Array {
    return new Uint16Array(this.take(length * 2), 0, length);
  }

  /** Hands a buffer back once its data is written; a buffer this pool did not lend is ignored. */
  give(view: ArrayBufferView): void {
    const buffer = view.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.lent.has(buffer)) return;
    this.lent.delete(buffer);
    this.spare.push(buffer);
    // Keep the largest few: a sequential write settles on buffers the size of its biggest weights.
    if (this.spare.length > MAX_SPARE) {
      this.spare.sort((a, b) => b.byteLength - a.byteLength);
      this.spare.length = MAX_SPARE;
    }
  }

  /** Drops every spare buffer (after an import, so the memory can go). */
  clear(): void {
    this.spare = [];
  }

  private take(bytes: number): ArrayBuffer {
    let best = -1;
    for (const [i, b] of this.spare.entries()) {
      // The smallest spare that fits, but never one far larger than asked (it would sit idle).
      if (b.byteLength >= bytes && b.byteLength <= 4 * bytes + 65536 && (best < 0 || b.byteLength < (this.spare[best] as ArrayBuffer).byteLength)) best = i;
    }
    const buffer = best >= 0 ? (this.spare.splice(best, 1)[0] as ArrayBuffer) : new ArrayBuffer(Math.max(8, bytes));
    this.lent.add(buffer);
    return buffer;
  }
}

/** The importer's pool: graph writes give back what lazy reads took. */
export const weightBuffers = new WeightBuffers();
