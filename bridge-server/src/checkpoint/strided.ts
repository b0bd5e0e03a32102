/**
 * Tensor views in storage: torch saves a view (a transpose, a slice, an expand) as its whole
 * storage plus offset, shape and stride. A view that is row-major contiguous is one read; any
 * other is gathered from the storage span it touches.
 */
export interface StridedView {
  /** Element offset of the view's first element in its storage. */
  readonly offset: number;
  readonly shape: readonly number[];
  /** Element strides (torch never saves negative ones). */
  readonly stride: readonly number[];
}

export function viewNumel(view: StridedView): number {
  return view.shape.reduce((a, b) => a * b, 1);
}

/** True when the view's elements lie one after another in row-major order (size-1 dims ignored). */
export function isContiguous(view: StridedView): boolean {
  let expected = 1;
  for (let i = view.shape.length - 1; i >= 0; i--) {
    const size = view.shape[i]!;
    if (size === 1) continue;
    if (view.stride[i] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** The storage element range [first, last] the view touches; undefined for an empty view. */
export function viewSpan(view: StridedView): { first: number; last: number } | undefined {
  let last = view.offset;
  for (let i = 0; i < view.shape.length; i++) {
    const size = view.shape[i]!;
    if (size === 0) return undefined;
    last += (size - 1) * view.stride[i]!;
  }
  return { first: view.offset, last };
}

/**
 * Copies the view's elements, row-major, from `span` (the storage bytes from the view's first
 * element on) into `out`. Copies the longest contiguous inner run at a time.
 */
export function gather(span: Uint8Array, view: StridedView, itemSize: number, out: Uint8Array): void {
  if (out.byteLength === 0) return;
  const rank = view.shape.length;
  // The innermost dims that are contiguous among themselves form one block.
  let inner = 1;
  let outerRank = rank;
  while (outerRank > 0) {
    const d = outerRank - 1;
    const size = view.shape[d]!;
    if (size !== 1 && view.stride[d] !== inner) break;
    inner *= size;
    outerRank -= 1;
  }
  const blockBytes = inner * itemSize;
  const outerCount = out.byteLength / blockBytes;
  const index = new Array<number>(outerRank).fill(0);
  let src = 0; // element offset from the view's first element
  let dst = 0;
  const elementWise = inner === 1 && (itemSize === 2 || itemSize === 4) && span.byteOffset % itemSize === 0 && out.byteOffset % itemSize === 0;
  const spanWords = elementWise ? (itemSize === 2 ? new Uint16Array(span.buffer, span.byteOffset, span.byteLength >> 1) : new Uint32Array(span.buffer, span.byteOffset, span.byteLength >> 2)) : undefined;
  const outWords = elementWise ? (itemSize === 2 ? new Uint16Array(out.buffer, out.byteOffset, out.byteLength >> 1) : new Uint32Array(out.buffer, out.byteOffset, out.byteLength >> 2)) : undefined;
  for (let n = 0; n < outerCount; n++) {
    if (spanWords !== undefined && outWords !== undefined) outWords[n] = spanWords[src]!;
    else out.set(span.subarray(src * itemSize, src * itemSize + blockBytes), dst);
    dst += blockBytes;
    // Odometer over the outer dims, last fastest.
    for (let d = outerRank - 1; d >= 0; d--) {
      index[d]! += 1;
      src += view.stride[d]!;
      if (index[d]! < view.shape[d]!) break;
      src -= view.stride[d]! * view.shape[d]!;
      index[d] = 0;
    }
  }
}
