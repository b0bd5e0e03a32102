import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { oracleExpectedPixel } from '../testmodels/index.js';
import { generate } from './generate.js';
import type { LoadedModel } from './loaded-model.js';
import { outpaint } from './outpaint.js';
import { colourDistance, inside, modelSet, noiseImage, samePixel, type ModelSet } from './testing/edit-fixtures.js';
import type { RgbaImage } from '../image/index.js';

let models: ModelSet;
let ways: Array<[string, LoadedModel]>;
const BLUE = oracleExpectedPixel({ prompt: 'blue', guidance: 1 });
const BASE = { prompt: 'blue', guidance: 1, steps: 4, scheduler: 'euler', seed: 5, width: 64, height: 64 } as const;

before(async () => {
  models = await modelSet('lb-outpaint-');
  ways = [
    ['9-channel UNet', await models.load('inpaint', { inpaint: true })],
    ['4-channel latent blend', await models.load('plain')],
  ];
});

after(async () => {
  await models.close();
});

/** The source at (dx, dy) of the result: true where the pixel is the source's. */
function sourceAt(result: RgbaImage, source: RgbaImage, dx: number, dy: number, x: number, y: number): boolean {
  const o = ((y + dy) * result.width + x + dx) * 4;
  const s = (y * source.width + x) * 4;
  for (let c = 0; c < 4; c++) if (result.data[o + c] !== source.data[s + c]) return false;
  return true;
}

test('outpaint grows the canvas; the source sits unchanged; the new area is generated (both ways, both fills)', async () => {
  const source = noiseImage(60, 41, 8);
  const expand = { left: 16, top: 0, right: 9, bottom: 23 };
  for (const [name, model] of ways) {
    for (const fill of ['edge', 'noise'] as const) {
      const result = await outpaint(model, { ...BASE, image: source, expand, fill });
      const image = result.images[0]!.image;
      assert.equal(image.width, 60 + 16 + 9);
      assert.equal(image.height, 41 + 23);
      const old = { x: 16, y: 0, width: 60, height: 41 };
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          if (inside(old, x, y)) assert.ok(sourceAt(image, source, 16, 0, x - 16, y), `${name} ${fill}: source pixel ${x - 16},${y} changed`);
        }
      }
      // Deep in the added strips the prompt's colour.
      assert.ok(colourDistance(image, 4, 20, BLUE) <= 3, `${name} ${fill}: left strip`);
      assert.ok(colourDistance(image, 40, 60, BLUE) <= 3, `${name} ${fill}: bottom strip`);
      assert.equal(image.data[(60 * image.width + 40) * 4 + 3], 255);
    }
  }
});

test('feather N blends N source pixels next to the new area and keeps the rest', async () => {
  const source = noiseImage(48, 40, 6);
  const [, model] = ways[0]!;
  const image = (await outpaint(model, { ...BASE, image: source, expand: { left: 0, top: 0, right: 24, bottom: 0 }, feather: 6 })).images[0]!.image;
  let blended = 0;
  for (let y = 0; y < 40; y++) {
    for (let x = 0; x < 48; x++) {
      const same = sourceAt(image, source, 0, 0, x, y);
      if (x < 48 - 6) assert.ok(same, `pixel ${x},${y} is further than the seam but changed`);
      else if (!same) blended++;
    }
  }
  assert.ok(blended > 6 * 40 * 0.8, `only ${blended} seam pixels blended`);
});

test('outpaint bad input', async () => {
  const [, model] = ways[1]!;
  const source = noiseImage(16, 16);
  const isError = (code: string, field: string) => (e: unknown) => e instanceof BridgeError && e.code === code && e.field === field;
  await assert.rejects(outpaint(model, { ...BASE, image: source, expand: { left: 0, top: 0, right: 0, bottom: 0 } }), isError('invalid_field', 'expand'));
  await assert.rejects(outpaint(model, { ...BASE, image: source, expand: { left: -1, top: 0, right: 8, bottom: 0 } }), isError('invalid_field', 'expand.left'));
  await assert.rejects(generate(model, { ...BASE, mode: 'outpaint', image: source }), isError('invalid_field', 'expand'));
  await assert.rejects(
    outpaint(model, { ...BASE, image: source, expand: { left: 0, top: 0, right: 8, bottom: 0 }, fill: 'mirror' as never }),
    isError('invalid_field', 'fill'),
  );
  await assert.rejects(
    outpaint(model, { ...BASE, image: source, expand: { left: 0, top: 0, right: 8000, bottom: 8000 } }, {
      limits: { maxPixels: 1 << 22, maxSteps: 50, maxBatch: 4, maxPromptChars: 100, maxSide: 4096, maxImagePixels: 1 << 20 },
    }),
    isError('limit_exceeded', 'canvas'),
  );
  assert.ok(samePixel(source, source, 0, 0));
});
