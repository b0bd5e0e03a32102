/** Row bookkeeping the mask passes share (internal to the image module, not re-exported). */

/**
 * same[y] = 1 when row y of a w×h plane equals row y − 1. Equal rows give equal results in every
 * row-wise pass, so those passes copy the row above instead: a rectangular selection costs a few
 * rows, not its height.
 */
export function repeatedRows(src: ArrayLike<number>, w: number, h: number): Uint8Array {
  const same = new Uint8Array(h);
  for (let y = 1; y < h; y++) {
    const row = y * w;
    let x = 0;
    while (x < w && src[row + x] === src[row - w + x]) x++;
    same[y] = x === w ? 1 : 0;
  }
  return same;
}
