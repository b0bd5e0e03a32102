/** TEST ONLY: comparing graph outputs with torch references, relative to the reference's largest magnitude. */
import assert from 'node:assert/strict';

/** max|actual − expected| / max|expected|. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'element counts differ');
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] ?? 0;
    const a = actual[i] ?? Number.NaN;
    scale = Math.max(scale, Math.abs(e));
    const d = Math.abs(a - e);
    worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
  }
  return scale === 0 ? worst : worst / scale;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string): number {
  const error = relativeError(actual, expected);
  assert.ok(error <= tolerance, `${label}: max error ${error.toExponential(3)} of max|ref| exceeds ${tolerance}`);
  return error;
}
