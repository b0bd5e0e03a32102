/** Pixel rectangles in document coordinates. Plain data so core stays host-independent. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** From Photoshop's half-open {left, top, right, bottom}. */
export function rectFromBounds(b: { left: number; top: number; right: number; bottom: number }): Rect {
  return { left: b.left, top: b.top, width: b.right - b.left, height: b.bottom - b.top };
}

export function boundsFromRect(r: Rect): { left: number; top: number; right: number; bottom: number } {
  return { left: r.left, top: r.top, right: r.left + r.width, bottom: r.top + r.height };
}

export function intersect(a: Rect, b: Rect): Rect | null {
  const left = Math.max(a.left, b.left);
  const top = Math.max(a.top, b.top);
  const right = Math.min(a.left + a.width, b.left + b.width);
  const bottom = Math.min(a.top + a.height, b.top + b.height);
  if (right <= left || bottom <= top) return null;
  return { left, top, width: right - left, height: bottom - top };
}

/** The rectangle grown by `by` pixels on every side, then clamped to the canvas. */
export function padWithin(rect: Rect, by: number, canvas: Size): Rect {
  const grown = { left: rect.left - by, top: rect.top - by, width: rect.width + 2 * by, height: rect.height + 2 * by };
  return intersect(grown, { left: 0, top: 0, ...canvas }) ?? rect;
}

export function sameSize(a: Size, b: Size): boolean {
  return a.width === b.width && a.height === b.height;
}
