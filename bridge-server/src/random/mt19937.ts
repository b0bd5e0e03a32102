/**
 * The 32-bit Mersenne Twister (MT19937) exactly as PyTorch's CPU generator runs it
 * (aten/src/ATen/core/MT19937RNGEngine.h): Knuth-style seeding from a 32-bit seed, and the
 * `left`/`next` bookkeeping kept verbatim so that a state round-trips with torch.get_rng_state().
 */

export const MT_STATE_SIZE = 624;
const MT_SHIFT = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** A snapshot of the engine. `left` and `next` follow torch's meaning, not the usual single index. */
export interface MT19937State {
  /** The 624 state words. */
  readonly words: Uint32Array;
  /** Draws left before the next twist, plus one (1..624); 1 right after seeding. */
  readonly left: number;
  /** Index of the next word to temper (0..624). */
  readonly next: number;
}

export class MT19937 {
  private readonly words: Uint32Array;
  private left: number;
  private next: number;

  /** Seeds like std::mt19937(seed): only the low 32 bits of `seed` matter. */
  constructor(seed: number) {
    this.words = new Uint32Array(MT_STATE_SIZE);
    let prev = seed >>> 0;
    this.words[0] = prev;
    for (let i = 1; i < MT_STATE_SIZE; i++) {
      prev = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
      this.words[i] = prev;
    }
    this.left = 1;
    this.next = 0;
  }

  /** Rebuilds an engine from a snapshot; rejects snapshots torch itself would call invalid. */
  static fromState(state: MT19937State): MT19937 {
    if (!isValidState(state)) throw new RangeError('MT19937 state is invalid (words, left or next out of range)');
    const engine = new MT19937(0);
    engine.words.set(state.words);
    engine.left = state.left;
    engine.next = state.next;
    return engine;
  }

  getState(): MT19937State {
    return { words: this.words.slice(), left: this.left, next: this.next };
  }

  clone(): MT19937 {
    return MT19937.fromState(this.getState());
  }

  /** The next tempered 32-bit output, as a non-negative number. */
  nextUint32(): number {
    if (--this.left === 0) this.twist();
    let y = this.words[this.next++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Two outputs as torch's random64() pairs them (first is the high word), reduced to 53 bits. */
  nextUint53(): number {
    const hi = this.nextUint32() & 0x1fffff;
    const lo = this.nextUint32();
    return hi * 0x100000000 + lo;
  }

  private twist(): void {
    const w = this.words;
    let k = 0;
    for (; k < MT_STATE_SIZE - MT_SHIFT; k++) {
      const y = ((w[k] as number) & UPPER_MASK) | ((w[k + 1] as number) & LOWER_MASK);
      w[k] = (w[k + MT_SHIFT] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; k < MT_STATE_SIZE - 1; k++) {
      const y = ((w[k] as number) & UPPER_MASK) | ((w[k + 1] as number) & LOWER_MASK);
      w[k] = (w[k + MT_SHIFT - MT_STATE_SIZE] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = ((w[MT_STATE_SIZE - 1] as number) & UPPER_MASK) | ((w[0] as number) & LOWER_MASK);
    w[MT_STATE_SIZE - 1] = (w[MT_SHIFT - 1] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.left = MT_STATE_SIZE;
    this.next = 0;
  }
}

function isValidState(state: MT19937State): boolean {
  return (
    state.words.length === MT_STATE_SIZE &&
    Number.isInteger(state.left) &&
    Number.isInteger(state.next) &&
    state.left > 0 &&
    state.left <= MT_STATE_SIZE &&
    state.next >= 0 &&
    state.next <= MT_STATE_SIZE
  );
}
