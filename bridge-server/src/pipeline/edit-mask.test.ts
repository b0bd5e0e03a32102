import assert from 'node:assert/strict';
import test from 'node:test';
import { LATENT_SCALE, resizeMask, type Mask } from '../image/index.js';
import { repaintMask } from './edit-mask.js';

const S = LATENT_SCALE;

/** Cells (lw × lh, 1 = set) holding any nonzero pixel of a model-size mask, grown by `ring` cells. */
function cellsOf(mask: Mask, ring: number): Uint8Array {
  const lw = Math.ceil(mask.width / S);
  const lh = Math.ceil(mask.height / S);
  const hit = new Uint8Array(lw * lh);
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) if (mask.data[y * mask.width + x] !== 0) hit[Math.floor(y / S) * lw + Math.floor(x / S)] = 1;
  }
  const out = new Uint8Array(lw * lh);
  for (let cy = 0; cy < lh; cy++) {
    for (let cx = 0; cx < lw; cx++) {
      for (let dy = -ring; dy <= ring; dy++) {
        for (let dx = -ring; dx <= ring; dx++) {
          const ny = cy + dy;
          const nx = cx + dx;
          if (ny >= 0 && nx >= 0 && ny < lh && nx < lw && hit[ny * lw + nx] === 1) out[cy * lw + cx] = 1;
        }
      }
    }
  }
  return out;
}

/** A soft blob with a stray far pixel: the shapes a feathered lasso selection gives. */
function coverage(w: number, h: number, seed: number): Mask {
  const data = new Uint8Array(w * h);
  const cx = w * (0.3 + 0.4 * ((seed * 7) % 10) / 10);
  const cy = h * (0.3 + 0.4 * ((seed * 3) % 10) / 10);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = Math.hypot((x - cx) / (w * 0.2), (y - cy) / (h * 0.15));
      data[y * w + x] = d < 1 ? 255 : d < 1.3 ? Math.round(255 * (1.3 - d) / 0.3) : 0;
    }
  }
  data[(h - 2) * w + (seed % w)] = 1;
  return { width: w, height: h, data };
}

test('repaint cells cover every cell the scaled coverage touches, plus one ring, and no more than one ring beyond', async () => {
  const cases: [number, number, number, number][] = [
    [740, 540, 704, 512], // downscale, as a 600×400 selection in a big document
    [300, 200, 768, 512], // upscale, a small selection
    [517, 333, 512, 328],
    [64, 64, 64, 64],
  ];
  for (const [i, [cw, ch, mw, mh]] of cases.entries()) {
    const crop = coverage(cw, ch, i + 1);
    const scaled = await resizeMask(crop, mw, mh, 'linear');
    const repaint = repaintMask(crop, { width: mw, height: mh });
    assert.equal(repaint.width, mw);
    assert.equal(repaint.height, mh);
    const lw = Math.ceil(mw / S);
    const lh = Math.ceil(mh / S);
    const mustHave = cellsOf(scaled, 1);
    const mayHave = cellsOf(scaled, 2);
    const got = cellsOf(repaint, 0);
    let extra = 0;
    for (let c = 0; c < lw * lh; c++) {
      assert.ok(got[c]! >= mustHave[c]!, `case ${i}: cell ${c % lw},${Math.floor(c / lw)} is touched but not repainted`);
      assert.ok(got[c]! <= mayHave[c]!, `case ${i}: cell ${c % lw},${Math.floor(c / lw)} is repainted far from any coverage`);
      extra += got[c]! - mustHave[c]!;
    }
    assert.ok(extra <= lw + lh, `case ${i}: ${extra} cells more than the scaled coverage asks for`);
    // Whole cells: every pixel of a cell has its cell's value.
    for (let y = 0; y < mh; y++) {
      for (let x = 0; x < mw; x++) {
        const cell = got[Math.floor(y / S) * lw + Math.floor(x / S)]!;
        assert.equal(repaint.data[y * mw + x], cell * 255);
      }
    }
  }
});

test('no coverage, no repaint; full coverage, everything', () => {
  const none = repaintMask({ width: 100, height: 80, data: new Uint8Array(8000) }, { width: 64, height: 48 });
  assert.ok(none.data.every((v) => v === 0));
  const all = repaintMask({ width: 100, height: 80, data: new Uint8Array(8000).fill(9) }, { width: 64, height: 48 });
  assert.ok(all.data.every((v) => v === 255));
});
