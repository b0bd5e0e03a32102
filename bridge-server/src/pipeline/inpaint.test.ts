import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { compositeInto16, decodeRaw, encodeRaw, type Bounds, type RgbaImage } from '../image/index.js';
import { oracleExpectedPixel } from '../testmodels/index.js';
import { generate } from './generate.js';
import { inpaint } from './inpaint.js';
import { inpaintLoopInput } from './inpaint-latents.js';
import { resolveParams } from './params.js';
import { denoiseAndDecode, startRun } from './run-core.js';
import type { LoadedModel } from './loaded-model.js';
import { colourDistance, flatImage, inside, modelSet, noiseImage, rectMask, samePixel, type ModelSet } from './testing/edit-fixtures.js';

let models: ModelSet;
let ways: Array<[string, LoadedModel]>;
const RED = oracleExpectedPixel({ prompt: 'red', guidance: 1 });
const BASE = { prompt: 'red', guidance: 1, steps: 4, scheduler: 'euler', seed: 3, width: 64, height: 64 } as const;

before(async () => {
  models = await modelSet('lb-inpaint-');
  ways = [
    ['9-channel UNet', await models.load('inpaint', { inpaint: true })],
    ['4-channel latent blend', await models.load('plain', { vaeEncoderOutput: 'latent_parameters' })],
  ];
});

after(async () => {
  await models.close();
});

/** Every pixel outside `sel` equal to the source, every pixel inside changed. */
function assertExactPlacement(source: RgbaImage, result: RgbaImage, sel: Bounds, label: string): void {
  assert.equal(result.width, source.width);
  assert.equal(result.height, source.height);
  for (let y = 0; y < source.height; y++) {
    for (let x = 0; x < source.width; x++) {
      const same = samePixel(source, result, x, y);
      if (inside(sel, x, y)) assert.ok(!same, `${label}: pixel ${x},${y} inside the selection is unchanged`);
      else assert.ok(same, `${label}: pixel ${x},${y} outside the selection changed`);
    }
  }
}

for (const [index, name] of ['9-channel UNet', '4-channel latent blend'].entries()) {
  test(`${name}: odd selection lands to the pixel, outside bit-identical, inside the prompt`, async () => {
    const model = ways[index]![1];
    const source = noiseImage(128, 96, 7);
    const cases: Bounds[] = [
      { x: 13, y: 7, width: 37, height: 29 },
      { x: 101, y: 70, width: 27, height: 26 }, // touches the right and bottom edges
    ];
    for (const sel of cases) {
      const mask = rectMask(128, 96, sel);
      const result = await inpaint(model, { ...BASE, image: source, mask, grow: 0, feather: 0, padding: 8 });
      const image = result.images[0]!.image;
      assertExactPlacement(source, image, sel, `${name} ${sel.x},${sel.y}`);
      const cx = sel.x + Math.floor(sel.width / 2);
      const cy = sel.y + Math.floor(sel.height / 2);
      assert.ok(colourDistance(image, cx, cy, RED) <= 3, `${name}: centre ${image.data.subarray((cy * 128 + cx) * 4, (cy * 128 + cx) * 4 + 3).join(',')} is not red`);
    }
  });
}

test('model output: the repainted half becomes the prompt, the kept half stays the source, both ways', async () => {
  const blue: [number, number, number] = [30, 60, 200];
  const image = flatImage(64, 64, blue);
  const repaint = rectMask(64, 64, { x: 0, y: 0, width: 24, height: 64 });
  for (const [name, model] of ways) {
    for (const strength of [1, 0.75]) {
      const run = await startRun(model, resolveParams({ ...BASE, batch: 2 }, 512));
      const loop = await inpaintLoopInput(run, image, repaint, strength);
      const [first, second] = await denoiseAndDecode(run, loop, {});
      for (const out of [first!, second!]) {
        for (let x = 0; x < 64; x++) {
          const want = x < 24 ? RED : blue;
          assert.ok(colourDistance(out, x, 40, want) <= 2, `${name} strength ${strength}: x=${x} ${out.data.subarray((40 * 64 + x) * 4, (40 * 64 + x) * 4 + 3).join(',')}`);
        }
      }
    }
  }
});

test('feathered mask blends without a hard seam; feather 0 leaves a step', async () => {
  const blue: [number, number, number] = [30, 60, 200];
  const source = flatImage(96, 64, blue);
  const sel = { x: 30, y: 18, width: 40, height: 28 };
  const mask = rectMask(96, 64, sel);
  const row = sel.y + 14;
  const jumps = (image: RgbaImage): number => {
    let worst = 0;
    for (let x = 1; x < image.width; x++) {
      for (let c = 0; c < 3; c++) {
        const a = image.data[(row * image.width + x - 1) * 4 + c]!;
        const b = image.data[(row * image.width + x) * 4 + c]!;
        worst = Math.max(worst, Math.abs(a - b));
      }
    }
    return worst;
  };
  for (const [name, model] of ways) {
    const soft = (await inpaint(model, { ...BASE, image: source, mask, grow: 0, feather: 10, padding: 16 })).images[0]!.image;
    const hard = (await inpaint(model, { ...BASE, image: source, mask, grow: 0, feather: 0, padding: 16 })).images[0]!.image;
    const step = Math.max(...RED.map((v, c) => Math.abs(v - blue[c]!)));
    assert.ok(jumps(hard) >= step * 0.8, `${name}: hard edge jump ${jumps(hard)}`);
    assert.ok(jumps(soft) <= step * 0.25, `${name}: feathered jump ${jumps(soft)} of ${step}`);
    // The middle of the selection is the prompt; far outside is the source.
    assert.ok(colourDistance(soft, sel.x + 20, row, RED) <= 3);
    assert.ok(samePixel(source, soft, 2, row) && samePixel(source, soft, 93, row));
  }
});

test('a soft selection keeps its softness: coverage 128 gives a half blend', async () => {
  const grey: [number, number, number] = [100, 100, 100];
  const source = flatImage(64, 64, grey);
  const sel = { x: 16, y: 16, width: 32, height: 32 };
  const [, model] = ways[0]!;
  const image = (await inpaint(model, { ...BASE, image: source, mask: rectMask(64, 64, sel, 128), grow: 0, feather: 0, padding: 8 })).images[0]!.image;
  const half = RED.map((v, c) => (grey[c]! * 127 + v * 128) / 255);
  assert.ok(colourDistance(image, 32, 32, half) <= 2, `centre ${image.data.subarray((32 * 64 + 32) * 4, (32 * 64 + 32) * 4 + 3).join(',')}`);
  assert.ok(samePixel(source, image, 15, 32) && samePixel(source, image, 48, 32));
});

test('16-bit document: decoded at the boundary, result placed exactly, 16-bit composite keeps the rest', async () => {
  const width = 72;
  const height = 56;
  const doc16 = new Uint16Array(width * height * 4);
  let s = 99;
  for (let i = 0; i < doc16.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    doc16[i] = i % 4 === 3 ? 32768 : (s >>> 8) % 32769; // Photoshop's 16-bit range 0..32768
  }
  const source = decodeRaw({ width, height, channels: 4, bitsPerChannel: 16, maxValue: 32768, data: doc16 });
  const sel = { x: 21, y: 9, width: 19, height: 23 };
  const mask = rectMask(width, height, sel);
  const [, model] = ways[0]!;
  const image = (await inpaint(model, { ...BASE, image: source, mask, grow: 0, feather: 0, padding: 4 })).images[0]!.image;
  assertExactPlacement(source, image, sel, '16-bit');
  // The plug-in's side: paste the result into the 16-bit document through the selection.
  const target = { width, height, data: doc16.slice() };
  compositeInto16(target, image, mask, { x: 0, y: 0 }, 32768);
  for (let p = 0; p < width * height; p++) {
    const x = p % width;
    const y = Math.floor(p / width);
    const changed = [0, 1, 2].some((c) => target.data[p * 4 + c] !== doc16[p * 4 + c]);
    assert.equal(changed, inside(sel, x, y), `16-bit pixel ${x},${y}`);
  }
  // And the 8-bit result re-encoded for the editor decodes to the same pixels.
  const raw = encodeRaw(image, { channels: 4, bitsPerChannel: 16, maxValue: 32768 });
  assert.deepEqual(decodeRaw({ width, height, channels: 4, bitsPerChannel: 16, maxValue: 32768, data: raw }).data, image.data);
});

test('defaults grow and feather: the change stays near the selection, the source elsewhere', async () => {
  const source = noiseImage(96, 96, 3);
  const sel = { x: 40, y: 33, width: 20, height: 30 };
  const [, model] = ways[1]!;
  const image = (await inpaint(model, { ...BASE, image: source, mask: rectMask(96, 96, sel) })).images[0]!.image;
  // grow 4 + feather round(0.1 · 20) = 2: nothing changes further than 6 px from the selection.
  const reach = { x: sel.x - 6, y: sel.y - 6, width: sel.width + 12, height: sel.height + 12 };
  let changedInside = 0;
  for (let y = 0; y < 96; y++) {
    for (let x = 0; x < 96; x++) {
      if (!inside(reach, x, y)) assert.ok(samePixel(source, image, x, y), `pixel ${x},${y} changed`);
      else if (inside(sel, x, y) && !samePixel(source, image, x, y)) changedInside++;
    }
  }
  assert.equal(changedInside, sel.width * sel.height);
});

test('reuseImage composites into the caller\'s buffer with the same pixels as a copy', async () => {
  const [, model] = ways[0]!;
  const source = noiseImage(80, 64, 12);
  const mask = rectMask(80, 64, { x: 9, y: 11, width: 30, height: 21 });
  const copy = await inpaint(model, { ...BASE, image: source, mask });
  const given = { ...source, data: source.data.slice() };
  const reused = await inpaint(model, { ...BASE, image: given, mask, reuseImage: true });
  assert.equal(reused.images[0]!.image.data, given.data);
  assert.deepEqual(reused.images[0]!.image.data, copy.images[0]!.image.data);
  assert.notEqual(copy.images[0]!.image.data, source.data);
});

test('bad input: empty mask, wrong size, over the pixel limit, missing mask, bad numbers', async () => {
  const [, model] = ways[0]!;
  const source = noiseImage(64, 48);
  const isError = (code: string, field: string) => (e: unknown) => e instanceof BridgeError && e.code === code && e.field === field;
  await assert.rejects(inpaint(model, { ...BASE, image: source, mask: rectMask(64, 48, { x: 0, y: 0, width: 0, height: 0 }) }), isError('mask_invalid', 'mask'));
  await assert.rejects(inpaint(model, { ...BASE, image: source, mask: rectMask(48, 64, { x: 1, y: 1, width: 5, height: 5 }) }), isError('mask_invalid', 'mask'));
  const mask = rectMask(64, 48, { x: 1, y: 1, width: 5, height: 5 });
  await assert.rejects(inpaint(model, { ...BASE, image: source, mask }, { limits: { maxPixels: 1 << 22, maxSteps: 50, maxBatch: 4, maxPromptChars: 100, maxSide: 4096, maxImagePixels: 1000 } }), isError('limit_exceeded', 'image'));
  await assert.rejects(generate(model, { ...BASE, mode: 'inpaint', image: source }), isError('invalid_field', 'mask'));
  await assert.rejects(inpaint(model, { ...BASE, image: source, mask, strength: 1.5 }), isError('invalid_field', 'strength'));
  await assert.rejects(inpaint(model, { ...BASE, image: source, mask, grow: 2.5 }), isError('invalid_field', 'grow'));
  await assert.rejects(inpaint(model, { ...BASE, image: source, mask, grow: -10 }), isError('mask_invalid', 'mask'));
  await assert.rejects(inpaint(model, { ...BASE, image: source, mask, width: 60 }), isError('invalid_field', 'width'));
});
