import type { FakeDocument, LayerState } from './fake-document.js';
import { FakePhotoshop } from './fake-photoshop.js';

/** Documents the tests and the panel screenshot start from. */
export interface Scene {
  ps: FakePhotoshop;
  doc: FakeDocument;
  /** The selection rectangle (bounds of the feathered selection), or null. */
  selection: { left: number; top: number; width: number; height: number } | null;
}

export const FEATHER = 6;

/** Fully selected inside, falling off linearly over FEATHER pixels towards the edges. */
export function featheredRect(box: { left: number; top: number; width: number; height: number }): (x: number, y: number) => number {
  return (x, y) => {
    const d = Math.min(x - box.left + 0.5, y - box.top + 0.5, box.left + box.width - x - 0.5, box.top + box.height - y - 0.5);
    return Math.max(0, Math.min(1, d / FEATHER));
  };
}

/**
 * A 300-DPI document (16-bit unless told) with a gradient Background and a half-transparent
 * "Paint" layer at an odd offset; optionally a feathered rectangular selection at an odd offset.
 */
export function paintedScene(options: { depth?: 8 | 16; width?: number; height?: number; select?: boolean } = {}): Scene {
  const ps = new FakePhotoshop();
  const width = options.width ?? 160;
  const height = options.height ?? 120;
  const doc = ps.createDocument({ width, height, depth: options.depth ?? 16, resolution: 300, title: 'scene.psd', background: [0.2, 0.4, 0.6] });
  const bg = doc.layerStates[0] as LayerState;
  // Replace the flat background with a gradient so misplaced pixels show.
  const fill = ps.addLayer(doc, 'tmp', { left: 0, top: 0, width, height }, (x, y) => [x / width, y / height, 0.5, 1]);
  bg.pixels = fill.pixels;
  doc.layerStates = doc.layerStates.filter((l) => l !== fill);
  ps.addLayer(doc, 'Paint', { left: 13, top: 17, width: 51, height: 41 }, (x, y) => [0.9, 0.8, (x + y) % 7 / 7, 0.5]);
  let selection = null;
  if (options.select !== false) {
    selection = { left: 37, top: 29, width: 61, height: 47 };
    ps.select(doc, selection, featheredRect(selection));
  }
  return { ps, doc, selection };
}
