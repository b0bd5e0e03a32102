import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { paintedScene } from '../fake/scenes.js';
import { PhotoshopHost } from './photoshop-host.js';

/** A 0..1 value stored at 16 bits (0..32768) and read back at 8. */
function via16(v: number): number {
  return Math.round((Math.round(v * 32768) * 255) / 32768);
}

function isCode(code: string) {
  return (err: unknown) => err instanceof BridgeError && err.code === code;
}

describe('PhotoshopHost against the fake photoshop module', () => {
  test('describes the document: pixels, 16 bits, 300 ppi, selection clamped to the canvas', async () => {
    const { ps, doc } = paintedScene();
    ps.select(doc, { left: 150, top: -5, width: 30, height: 20 }, () => 1);
    const info = await new PhotoshopHost(ps).activeDocument();
    assert.ok(info);
    assert.equal(info.bitDepth, 16);
    assert.equal(info.resolution, 300);
    assert.equal(info.mode, 'rgb');
    assert.deepEqual(info.selection?.bounds, { left: 150, top: -5, width: 30, height: 20 });
    assert.deepEqual(info.selection?.onCanvas, { left: 150, top: 0, width: 10, height: 15 });
  });

  test('no document → null; CMYK is reported as unsupported', async () => {
    const { FakePhotoshop } = await import('../fake/fake-photoshop.js');
    const ps = new FakePhotoshop();
    assert.equal(await new PhotoshopHost(ps).activeDocument(), null);
    ps.createDocument({ width: 8, height: 8, mode: 'CMYKColorMode', background: [0, 0, 0] });
    assert.equal((await new PhotoshopHost(ps).activeDocument())?.mode, 'unsupported');
  });

  test('readRegion: 8-bit sRGB composite of a 16-bit document, selection mask at 16 bits', async () => {
    const { ps, doc, selection } = paintedScene();
    assert.ok(selection);
    const host = new PhotoshopHost(ps);
    const rect = { left: 30, top: 20, width: 75, height: 60 };
    const region = await host.readRegion(doc.id, rect, true);
    assert.equal(region.rgba.length, 75 * 60 * 4);
    // Composite of a document with a Background is opaque.
    for (let i = 3; i < region.rgba.length; i += 4) assert.equal(region.rgba[i], 255);
    // Pixel (70,20) is background gradient only: r = 70/160, g = 20/120, b = .5.
    assert.deepEqual([...region.rgba.slice(40 * 4, 40 * 4 + 3)], [via16(70 / 160), via16(20 / 120), via16(0.5)]);
    assert.ok(region.mask);
    assert.equal(region.mask.depth, 16);
    const centre = (60 - 20 - 8) * 75 + (67 - 30);
    assert.equal(region.mask.data[centre], 32768);
    assert.equal(region.mask.gray8[centre], 255);
    assert.equal(region.mask.gray8[0], 0);
    assert.equal(ps.liveImages.size, 0, 'every PhotoshopImageData is disposed');
  });

  test('readRegion pads a trimmed getPixels answer with transparency', async () => {
    const { FakePhotoshop } = await import('../fake/fake-photoshop.js');
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 40, height: 40 });
    ps.addLayer(doc, 'dot', { left: 11, top: 13, width: 3, height: 2 }, () => [1, 0, 0, 1]);
    const region = await new PhotoshopHost(ps).readRegion(doc.id, { left: 10, top: 10, width: 8, height: 8 }, false);
    const at = (x: number, y: number) => [...region.rgba.slice((y * 8 + x) * 4, (y * 8 + x) * 4 + 4)];
    assert.deepEqual(at(1, 3), [255, 0, 0, 255]);
    assert.deepEqual(at(0, 0), [0, 0, 0, 0]);
    assert.deepEqual(at(4, 3), [0, 0, 0, 0]);
  });

  test('pasteResults: new layers at the offset, mask equal to the selection, one history state', async () => {
    const { ps, doc } = paintedScene();
    const host = new PhotoshopHost(ps);
    const rect = { left: 31, top: 23, width: 73, height: 59 };
    const region = await host.readRegion(doc.id, rect, true);
    const before = doc.historyStates.length;
    const originals = doc.layerStates.map((l) => ({ id: l.id, pixels: l.pixels.slice(), box: { ...l.box } }));
    const red = new Uint8Array(rect.width * rect.height * 4);
    for (let i = 0; i < red.length; i += 4) red.set([191, 64, 64, 255], i);
    const ids = await host.pasteResults(doc.id, { width: 160, height: 120 }, [
      { rect, rgba: red, name: 'red · seed 1', visible: true, mask: region.mask },
      { rect, rgba: red, name: 'red · seed 2', visible: false, mask: region.mask },
    ], 'latent-bridge inpaint');
    assert.equal(ids.length, 2);
    assert.deepEqual(doc.historyStates.slice(before), ['latent-bridge inpaint']);
    const layer = doc.layerState(ids[0] ?? -1);
    assert.deepEqual(layer.box, rect);
    assert.equal(doc.layerState(ids[1] ?? -1).visible, false);
    const mask = await ps.imaging.getLayerMask({ documentID: doc.id, layerID: layer.id, sourceBounds: { left: 31, top: 23, right: 104, bottom: 82 } });
    const selection = await ps.imaging.getSelection({ documentID: doc.id, sourceBounds: { left: 31, top: 23, right: 104, bottom: 82 } });
    assert.deepEqual(await mask.imageData.getData(), await selection.imageData.getData());
    for (const o of originals) {
      const now = doc.layerState(o.id);
      assert.deepEqual(now.box, o.box);
      assert.ok(Buffer.from(now.pixels.buffer).equals(Buffer.from(o.pixels.buffer)), `layer ${o.id} unchanged`);
    }
  });

  test('pasteResults refuses a closed or resized document and adds nothing', async () => {
    const { ps, doc } = paintedScene();
    const host = new PhotoshopHost(ps);
    const item = { rect: { left: 0, top: 0, width: 2, height: 2 }, rgba: new Uint8Array(16), name: 'x', visible: true, mask: null };
    ps.resizeCanvas(doc, 100, 100);
    const layers = doc.layerStates.length;
    await assert.rejects(host.pasteResults(doc.id, { width: 160, height: 120 }, [item], 'h'), isCode('document_changed'));
    assert.equal(doc.layerStates.length, layers);
    ps.closeDocument(doc);
    await assert.rejects(host.pasteResults(doc.id, { width: 100, height: 100 }, [item], 'h'), isCode('document_changed'));
  });

  test('a failure half-way through rolls the whole paste back', async () => {
    const { ps, doc } = paintedScene();
    const host = new PhotoshopHost(ps);
    const good = { rect: { left: 0, top: 0, width: 2, height: 2 }, rgba: new Uint8Array(16), name: 'ok', visible: true, mask: null };
    const bad = { ...good, rgba: new Uint8Array(3), name: 'broken' };
    const layers = doc.layerStates.length;
    const history = doc.historyStates.length;
    await assert.rejects(host.pasteResults(doc.id, { width: 160, height: 120 }, [good, bad], 'h'));
    assert.equal(doc.layerStates.length, layers);
    assert.equal(doc.historyStates.length, history);
  });

  test('showOnly toggles only the given result layers', async () => {
    const { ps, doc } = paintedScene();
    const host = new PhotoshopHost(ps);
    const item = (name: string) => ({ rect: { left: 0, top: 0, width: 2, height: 2 }, rgba: new Uint8Array(16), name, visible: true, mask: null });
    const ids = await host.pasteResults(doc.id, { width: 160, height: 120 }, [item('a'), item('b')], 'h');
    await host.showOnly(doc.id, ids, ids[1] ?? -1);
    assert.deepEqual(ids.map((id) => doc.layerState(id).visible), [false, true]);
    assert.ok(doc.layerStates.filter((l) => !ids.includes(l.id)).every((l) => l.visible));
  });
});
