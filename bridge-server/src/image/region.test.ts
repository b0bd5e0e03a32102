import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeError } from '@latent-bridge/shared';
import { documentBoundsToModel, documentToModel, modelToDocument, planRegion } from './region.js';

const doc = { width: 2048, height: 2048 };

test('selection in the middle: padded crop, short side at native size, multiples of 8', () => {
  const plan = planRegion({ document: doc, selection: { x: 701, y: 333, width: 600, height: 400 }, padding: 32, nativeSize: 512 });
  assert.deepEqual(plan.crop, { x: 669, y: 301, width: 664, height: 464 });
  assert.equal(plan.modelSize.height, 512);
  assert.equal(plan.modelSize.width % 8, 0);
  assert.ok(Math.abs(plan.modelSize.width - (664 * 512) / 464) <= 4);
  // crop corners map exactly onto the model rectangle and back
  assert.deepEqual(documentToModel(plan, { x: 669, y: 301 }), { x: 0, y: 0 });
  assert.deepEqual(documentToModel(plan, { x: 669 + 664, y: 301 + 464 }), { x: plan.modelSize.width, y: 512 });
  assert.deepEqual(modelToDocument(plan, { x: plan.modelSize.width, y: 512 }), { x: 1333, y: 765 });
  assert.deepEqual(documentBoundsToModel(plan, plan.crop), { x: 0, y: 0, ...plan.modelSize });
});

test('odd selection near the edges is clipped; padding never leaves the document', () => {
  const plan = planRegion({ document: { width: 1001, height: 777 }, selection: { x: -15, y: 700, width: 123, height: 200 }, padding: 16, nativeSize: 512 });
  assert.deepEqual(plan.crop, { x: 0, y: 684, width: 124, height: 93 });
  assert.equal(plan.modelSize.height, 512);
  assert.equal(plan.modelSize.width, 680); // 124·512/93 = 682.7 → nearest multiple of 8
  const corner = planRegion({ document: { width: 333, height: 257 }, selection: { x: 300, y: 250, width: 100, height: 100 }, padding: 8, nativeSize: 768 });
  // 41×15 after clipping is thinner than 2:1, so it is widened to 21 rows, shifted up off the bottom edge
  assert.deepEqual(corner.crop, { x: 292, y: 236, width: 41, height: 21 });
});

test('thin selections get a wider crop (context) within the document', () => {
  const plan = planRegion({ document: { width: 1000, height: 800 }, selection: { x: 100, y: 790, width: 600, height: 10 }, nativeSize: 512 });
  // widened to 300 rows, shifted up to stay inside
  assert.deepEqual(plan.crop, { x: 100, y: 500, width: 600, height: 300 });
  assert.deepEqual(plan.modelSize, { width: 1024, height: 512 });
  // a thin document cannot be widened: the long side is capped instead
  const strip = planRegion({ document: { width: 4000, height: 50 }, selection: { x: 0, y: 0, width: 4000, height: 50 }, nativeSize: 512 });
  assert.deepEqual(strip.crop, { x: 0, y: 0, width: 4000, height: 50 });
  assert.equal(strip.modelSize.width, 1024);
  assert.equal(strip.modelSize.height, 16);
});

test('bad requests are BridgeErrors naming the field', () => {
  const check = (fn: () => unknown, code: string, field: string): void =>
    assert.throws(fn, (e) => e instanceof BridgeError && e.code === code && e.field === field);
  check(() => planRegion({ document: doc, selection: { x: 3000, y: 0, width: 10, height: 10 }, nativeSize: 512 }), 'invalid_field', 'selection');
  check(() => planRegion({ document: doc, selection: { x: -10, y: 0, width: 10, height: 10 }, nativeSize: 512 }), 'invalid_field', 'selection');
  check(() => planRegion({ document: doc, selection: { x: 0, y: 0, width: 0, height: 10 }, nativeSize: 512 }), 'invalid_field', 'selection.width');
  check(() => planRegion({ document: doc, selection: { x: 0, y: 0, width: 1, height: 1 }, nativeSize: 500 }), 'invalid_field', 'nativeSize');
  check(() => planRegion({ document: doc, selection: { x: 0, y: 0, width: 1, height: 1 }, nativeSize: 512, padding: -2 }), 'invalid_field', 'padding.left');
  check(() => planRegion({ document: doc, selection: { x: 0, y: 0, width: 1, height: 1 }, nativeSize: 512, maxPixels: 1000 }), 'limit_exceeded', 'document');
  check(() => planRegion({ document: { width: 10.5, height: 3 }, selection: { x: 0, y: 0, width: 1, height: 1 }, nativeSize: 512 }), 'invalid_field', 'document.width');
});

test('a coarser multiple with matchAspect widens the crop to the model aspect instead of stretching it', () => {
  const doc = { width: 2048, height: 2048 };
  const selection = { x: 731, y: 919, width: 600, height: 400 };
  const plain = planRegion({ document: doc, selection, padding: 73, nativeSize: 512, multiple: 64 });
  const fitted = planRegion({ document: doc, selection, padding: 73, nativeSize: 512, multiple: 64, matchAspect: true });
  for (const p of [plain, fitted]) {
    assert.equal(p.modelSize.width % 64, 0);
    assert.equal(p.modelSize.height % 64, 0);
  }
  assert.deepEqual(fitted.modelSize, plain.modelSize);
  // The fitted crop holds the plain one and has the model's aspect to within a pixel.
  const c = fitted.crop;
  const p = plain.crop;
  assert.ok(c.x <= p.x && c.y <= p.y && c.x + c.width >= p.x + p.width && c.y + c.height >= p.y + p.height);
  const ratio = fitted.modelSize.width / fitted.modelSize.height;
  assert.ok(Math.abs(c.width - c.height * ratio) <= 1, `${c.width}×${c.height} vs ${ratio}`);
  assert.ok(Math.abs(p.width - p.height * ratio) > 1, 'the case must need widening');

  // At a document edge the crop stays inside the document (and then stretches a little instead).
  const edge = planRegion({ document: { width: 700, height: 480 }, selection: { x: 0, y: 0, width: 690, height: 470 }, nativeSize: 512, multiple: 64, matchAspect: true });
  assert.ok(edge.crop.x >= 0 && edge.crop.y >= 0 && edge.crop.x + edge.crop.width <= 700 && edge.crop.y + edge.crop.height <= 480);
  assert.equal(edge.modelSize.height % 64, 0);

  assert.throws(() => planRegion({ document: doc, selection, nativeSize: 520, multiple: 64 }), (e) => e instanceof BridgeError && e.field === 'nativeSize');
});
