import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakePhotoshop } from './fake-photoshop.js';

// The fake follows Adobe's documented rules (imaging.md, executeasmodal.md); these tests pin
// those rules so the adapter tests that rely on them mean something.

describe('fake imaging', () => {
  test('composite with a Background layer is opaque RGB (3 components), bounds half-open', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 20, height: 10, background: [1, 0, 0] });
    const got = await ps.imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 2, top: 3, right: 7, bottom: 5 } });
    assert.deepEqual(got.sourceBounds, { left: 2, top: 3, right: 7, bottom: 5 });
    assert.equal(got.imageData.width, 5);
    assert.equal(got.imageData.height, 2);
    assert.equal(got.imageData.components, 3);
    const data = await got.imageData.getData();
    assert.deepEqual([...data.slice(0, 3)], [255, 0, 0]);
    got.imageData.dispose();
  });

  test('width/height form equals right/bottom form', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 20, height: 10, background: [0, 1, 0] });
    const a = await ps.imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 1, top: 1, width: 4, height: 3 } });
    assert.deepEqual(a.sourceBounds, { left: 1, top: 1, right: 5, bottom: 4 });
  });

  test('composite without Background is trimmed to where pixels exist and has alpha', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 50, height: 50 });
    ps.addLayer(doc, 'blob', { left: 10, top: 12, width: 5, height: 4 }, () => [0, 0, 1, 1]);
    const got = await ps.imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 0, top: 0, right: 50, bottom: 50 } });
    assert.deepEqual(got.sourceBounds, { left: 10, top: 12, right: 15, bottom: 16 });
    assert.equal(got.imageData.components, 4);
  });

  test('16-bit documents use 0..32768, fullRange gives 0..65535, componentSize 8 converts', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 4, height: 4, depth: 16, background: [1, 0.5, 0] });
    const native = await ps.imaging.getPixels({ documentID: doc.id });
    assert.equal(native.imageData.componentSize, 16);
    const d16 = await native.imageData.getData();
    assert.ok(d16 instanceof Uint16Array);
    assert.deepEqual([...d16.slice(0, 3)], [32768, 16384, 0]);
    const full = await native.imageData.getData({ fullRange: true });
    assert.equal(full[0], 65535);
    const eight = await ps.imaging.getPixels({ documentID: doc.id, componentSize: 8 });
    assert.deepEqual([...(await eight.imageData.getData()).slice(0, 3)], [255, 128, 0]);
  });

  test('createImageDataFromBuffer checks the element count and the 16-bit range', async () => {
    const ps = new FakePhotoshop();
    await assert.rejects(ps.imaging.createImageDataFromBuffer(new Uint8Array(7), { width: 2, height: 1, components: 4, colorSpace: 'RGB' }));
    await assert.rejects(ps.imaging.createImageDataFromBuffer(Uint16Array.of(40000), { width: 1, height: 1, components: 1, colorSpace: 'Grayscale' }));
  });

  test('changes need a modal scope; a second scope gets error number 9', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 8, height: 8, background: [0, 0, 0] });
    await assert.rejects(doc.createPixelLayer({ name: 'x' }), /modal scope/);
    await ps.core.executeAsModal(async () => {
      await assert.rejects(
        ps.core.executeAsModal(async () => undefined, { commandName: 'inner' }),
        (err: unknown) => (err as { number?: number }).number === 9,
      );
    }, { commandName: 'outer' });
  });

  test('suspended history: many changes make one state; rollback restores; nothing changed makes none', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 8, height: 8, background: [0, 0, 0] });
    const before = doc.historyStates.length;
    await ps.core.executeAsModal(async (ctx) => {
      const h = await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 'Two layers' });
      await doc.createPixelLayer({ name: 'a' });
      await doc.createPixelLayer({ name: 'b' });
      await ctx.hostControl.resumeHistory(h, true);
    }, { commandName: 'x' });
    assert.deepEqual(doc.historyStates.slice(before), ['Two layers']);
    assert.equal(doc.layerStates.length, 3);

    await assert.rejects(ps.core.executeAsModal(async (ctx) => {
      await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 'Doomed' });
      await doc.createPixelLayer({ name: 'c' });
      throw new Error('boom');
    }, { commandName: 'y' }), /boom/);
    assert.equal(doc.layerStates.length, 3, 'exception inside the scope rolls the suspension back');

    await ps.core.executeAsModal(async (ctx) => {
      await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 'Empty' });
    }, { commandName: 'z' });
    assert.deepEqual(doc.historyStates.slice(before), ['Two layers']);
  });

  test('putPixels places at targetBounds; putLayerMask refuses the Background layer', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 10, height: 10, background: [0, 0, 0] });
    const bgId = doc.layerStates[0]?.id ?? -1;
    await ps.core.executeAsModal(async () => {
      const layer = await doc.createPixelLayer({ name: 'p' });
      assert.ok(layer);
      const img = await ps.imaging.createImageDataFromBuffer(new Uint8Array(2 * 1 * 4).fill(255), { width: 2, height: 1, components: 4, colorSpace: 'RGB', colorProfile: 'sRGB IEC61966-2.1' });
      await ps.imaging.putPixels({ documentID: doc.id, layerID: layer.id, imageData: img, targetBounds: { left: 3, top: 7 } });
      assert.deepEqual(layer.boundsNoEffects, { left: 3, top: 7, right: 5, bottom: 8 });
      const gray = await ps.imaging.createImageDataFromBuffer(new Uint8Array(1), { width: 1, height: 1, components: 1, colorSpace: 'Grayscale' });
      await assert.rejects(ps.imaging.putLayerMask({ documentID: doc.id, layerID: bgId, imageData: gray }), /background/);
    }, { commandName: 'x' });
  });

  test('a closed document is gone for the imaging API', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 4, height: 4, background: [0, 0, 0] });
    ps.closeDocument(doc);
    await assert.rejects(ps.imaging.getPixels({ documentID: doc.id }), /no open document/);
    assert.equal(ps.app.activeDocument, null);
  });
});
