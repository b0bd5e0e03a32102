import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import { assertMaskNotEmpty, featherMask, growMask, invertMask, isMaskEmpty, maskBounds, selectionBounds, shrinkMask } from './mask.js';
import type { Mask } from './pixels.js';

function fromRows(rows: string[]): Mask {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * width + x] = c === '#' ? 255 : 0)));
  return { width, height, data };
}

function toRows(m: Mask): string[] {
  const rows: string[] = [];
  for (let y = 0; y < m.height; y++) {
    let r = '';
    for (let x = 0; x < m.width; x++) r += m.data[y * m.width + x] === 255 ? '#' : m.data[y * m.width + x] === 0 ? '.' : '~';
    rows.push(r);
  }
  return rows;
}

/** Brute-force greyscale dilation with the same element, ignoring out-of-range pixels. */
function bruteGrow(m: Mask, r: number, square: boolean): Uint8Array {
  const out = new Uint8Array(m.data.length);
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      let best = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          if (!square && dx * dx + dy * dy > r * r) continue;
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= m.width || yy >= m.height) continue;
          best = Math.max(best, m.data[yy * m.width + xx]!);
        }
      }
      out[y * m.width + x] = best;
    }
  }
  return out;
}

test('grow by a Euclidean disc: radius 1 is a cross, radius 2 the digital disc', () => {
  const dot = fromRows(['.......', '.......', '.......', '...#...', '.......', '.......', '.......']);
  assert.deepEqual(toRows(growMask(dot, 1)), ['.......', '.......', '...#...', '..###..', '...#...', '.......', '.......']);
  assert.deepEqual(toRows(growMask(dot, 2)), ['.......', '...#...', '..###..', '.#####.', '..###..', '...#...', '.......']);
  assert.deepEqual(toRows(growMask(dot, 1, 'square')), ['.......', '.......', '..###..', '..###..', '..###..', '.......', '.......']);
  assert.deepEqual(growMask(dot, 0).data, dot.data);
});

test('shrink is the dual of grow and does not erode from the mask border', () => {
  const block = fromRows(['#####..', '#####..', '#####..', '#####..', '.......']);
  assert.deepEqual(toRows(shrinkMask(block, 1)), ['####...', '####...', '####...', '.......', '.......']);
  const holed = fromRows(['#####', '#####', '##.##', '#####', '#####']);
  assert.deepEqual(toRows(shrinkMask(holed, 1)), ['#####', '##.##', '#...#', '##.##', '#####']);
  assert.deepEqual(toRows(shrinkMask(holed, 1, 'square')), ['#####', '#...#', '#...#', '#...#', '#####']);
  assert.deepEqual(shrinkMask(growMask(fromRows(['.....', '..#..', '.....']), 1), 1).data, fromRows(['.....', '..#..', '.....']).data);
});

test('grow and shrink match brute force on soft random masks, odd sizes, radii up to 9', () => {
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
  for (const [w, h] of [[23, 17], [1, 9], [31, 1], [40, 33]] as const) {
    const data = new Uint8Array(w * h);
    for (let i = 0; i < data.length; i++) data[i] = rand() < 0.08 ? Math.floor(rand() * 256) : 0;
    const m = { width: w, height: h, data };
    for (const r of [1, 2, 3, 5, 9]) {
      for (const square of [false, true]) {
        assert.deepEqual(growMask(m, r, square ? 'square' : 'disc').data, bruteGrow(m, r, square), `grow ${w}×${h} r${r} ${square}`);
        const inv = invertMask(m);
        const expected = bruteGrow(inv, r, square).map((v) => 255 - v);
        assert.deepEqual(shrinkMask(m, r, square ? 'square' : 'disc').data, expected, `shrink ${w}×${h} r${r}`);
      }
    }
  }
});

test('feather: symmetric soft edge, far pixels keep exact 0 and 255, edges replicate', () => {
  const w = 40;
  const data = new Uint8Array(w);
  data.fill(255, 20);
  const soft = featherMask({ width: w, height: 1, data }, 2);
  assert.equal(soft.data[0], 0);
  assert.equal(soft.data[13], 0); // 7 px from the edge, past 3σ
  assert.equal(soft.data[39], 255); // border pixel stays selected (replicated edge)
  assert.equal(soft.data[27], 255);
  // Gaussian CDF values around the step at 19.5: Φ(0.25) ≈ 0.599 → 153, Φ(−0.25) → 102
  assert.equal(soft.data[20], 153);
  assert.equal(soft.data[19], 102);
  for (let i = 0; i < 20; i++) assert.equal(soft.data[i]! + soft.data[39 - i]!, 255);
  // 2-D: a single pixel spreads to a Gaussian whose total mass stays about 255
  const dot = new Uint8Array(21 * 21);
  dot[10 * 21 + 10] = 255;
  const blob = featherMask({ width: 21, height: 21, data: dot }, 1.5);
  const total = blob.data.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 255) < 30, `mass ${total}`);
  assert.equal(blob.data[10 * 21 + 11], blob.data[11 * 21 + 10]);
  assert.equal(blob.data[10 * 21 + 9], blob.data[10 * 21 + 11]);
  assert.deepEqual(featherMask({ width: 3, height: 1, data: new Uint8Array([0, 255, 0]) }, 0).data, new Uint8Array([0, 255, 0]));
});

/** Φ(x) from Abramowitz–Stegun 7.1.26 (error < 2e-7). */
function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

test('feather with a wide sigma (box passes) follows the Gaussian and keeps far pixels exact', () => {
  for (const sigma of [8, 13.4, 30]) {
    const w = 400;
    const data = new Uint8Array(w);
    data.fill(255, 200);
    const soft = featherMask({ width: w, height: 1, data }, sigma);
    const reach = Math.ceil(3 * sigma);
    assert.equal(soft.data[200 - reach - 1], 0);
    assert.equal(soft.data[200 + reach], 255);
    for (let x = 200 - reach; x < 200 + reach; x++) {
      const want = 255 * normalCdf((x - 199.5) / sigma);
      assert.ok(Math.abs(soft.data[x]! - want) <= 4, `sigma ${sigma} x ${x}: ${soft.data[x]} vs ${want.toFixed(1)}`);
      assert.ok(soft.data[x]! <= soft.data[x + 1]!, 'monotone');
      assert.ok(Math.abs(soft.data[x]! + soft.data[399 - x]! - 255) <= 1, 'symmetric');
    }
  }
  // 2-D: a filled square keeps its centre and the far corner, and both axes blur alike.
  const n = 120;
  const square = new Uint8Array(n * n);
  for (let y = 20; y < 100; y++) square.fill(255, y * n + 20, y * n + 100);
  const blurred = featherMask({ width: n, height: n, data: square }, 8);
  assert.equal(blurred.data[0], 0);
  assert.equal(blurred.data[60 * n + 60], 255);
  assert.equal(blurred.data[60 * n + 20], blurred.data[20 * n + 60]);
});

test('bounds, emptiness and inversion', () => {
  const m = fromRows(['......', '..#...', '....#.', '......']);
  assert.deepEqual(maskBounds(m), { x: 2, y: 1, width: 3, height: 2 });
  assert.equal(maskBounds(fromRows(['...', '...'])), null);
  assert.deepEqual(maskBounds(fromRows(['#'])), { x: 0, y: 0, width: 1, height: 1 });
  assert.equal(isMaskEmpty(fromRows(['...'])), true);
  assert.equal(isMaskEmpty(m), false);
  assert.throws(() => assertMaskNotEmpty(fromRows(['..'])), (e) => e instanceof BridgeError && e.code === 'mask_invalid');
  assert.throws(() => selectionBounds(fromRows(['..']), 'selection_mask'), (e) => e instanceof BridgeError && e.code === 'mask_invalid' && e.field === 'selection_mask');
  assert.deepEqual(selectionBounds(m), maskBounds(m));
  assert.deepEqual([...invertMask({ width: 3, height: 1, data: new Uint8Array([0, 100, 255]) }).data], [255, 155, 0]);
  assert.throws(() => growMask(m, -1), (e) => e instanceof BridgeError && e.field === 'radius');
  assert.throws(() => featherMask(m, Number.NaN), (e) => e instanceof BridgeError && e.field === 'sigma');
  assert.throws(() => growMask({ width: 2, height: 2, data: new Uint8Array(3) }, 1), (e) => e instanceof BridgeError && e.code === 'mask_invalid');
});

test('runs of equal rows (a rectangle, stripes) grow exactly as brute force', () => {
  for (const [w, h] of [
    [23, 31],
    [40, 9],
  ] as const) {
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      // blocks of identical rows, soft values, and a lone odd row
      const kind = y === 5 ? 3 : Math.floor(y / 7) % 3;
      for (let x = 0; x < w; x++) data[y * w + x] = kind === 0 ? 0 : kind === 1 ? (x > 4 && x < w - 6 ? 255 : 0) : kind === 2 ? (x * 37) & 255 : x === 3 ? 128 : 0;
    }
    const m: Mask = { width: w, height: h, data };
    for (const r of [1, 2, 4, 7]) {
      assert.deepEqual(growMask(m, r).data, bruteGrow(m, r, false), `disc ${r} on ${w}×${h}`);
      assert.deepEqual(growMask(m, r, 'square').data, bruteGrow(m, r, true), `square ${r} on ${w}×${h}`);
    }
  }
});

test('feather of a rectangle: equal input rows give the same pixels as rows that differ far away', () => {
  const w = 160;
  const h = 60;
  const rect = new Uint8Array(w * h);
  for (let y = 15; y < 45; y++) rect.fill(255, y * w + 10, y * w + 50);
  const broken = rect.slice();
  // A different pixel at the right end of every row: no two rows are equal, so nothing is copied.
  for (let y = 0; y < h; y++) broken[y * w + w - 1] = y;
  for (const sigma of [3, 12]) {
    const a = featherMask({ width: w, height: h, data: rect }, sigma).data;
    const b = featherMask({ width: w, height: h, data: broken }, sigma).data;
    // 3σ (Gaussian taps) or the three boxes' reach stay well inside 90 columns.
    for (let y = 0; y < h; y++) for (let x = 0; x < 70; x++) assert.equal(a[y * w + x], b[y * w + x], `σ ${sigma} at ${x},${y}`);
    assert.ok(a.some((v) => v > 0 && v < 255));
  }
});

test('bounds find a lone pixel at every byte position, whatever its value (eight bytes are tested at once)', () => {
  // 128 in the last byte of an 8-byte word reads as -0 through a float64 view: it must still count.
  for (const value of [1, 128, 255]) {
    for (let at = 0; at < 72; at++) {
      const data = new Uint8Array(24 * 6);
      data[at] = value;
      const b = maskBounds({ width: 24, height: 6, data });
      assert.deepEqual(b, { x: at % 24, y: Math.floor(at / 24), width: 1, height: 1 }, `value ${value} at ${at}`);
    }
  }
  // A view that does not start on an 8-byte boundary takes the byte-wise path.
  const backing = new Uint8Array(24 * 6 + 3);
  backing[3 + 50] = 128;
  assert.deepEqual(maskBounds({ width: 24, height: 6, data: backing.subarray(3) }), { x: 2, y: 2, width: 1, height: 1 });
});
