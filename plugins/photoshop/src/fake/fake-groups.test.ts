import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PsLayer, PsLayerList } from '../host/ps-api.js';
import { FakePhotoshop } from './fake-photoshop.js';

// Layer groups as Adobe documents them (classes/document.md createLayerGroup,
// objects/createoptions/grouplayercreateoptions.md, classes/layer.md parent/layers/kind):
// the adapter's layer-stack paste relies on these rules.

function names(list: PsLayerList | null): string[] {
  const out: string[] = [];
  for (let i = 0; i < (list?.length ?? 0); i++) out.push(list?.[i]?.name ?? '?');
  return out;
}

async function modal<T>(ps: FakePhotoshop, body: () => Promise<T>): Promise<T> {
  return ps.core.executeAsModal(body, { commandName: 'test' });
}

describe('fake layer groups', () => {
  test('fromLayers: the group takes the topmost layer\'s place and keeps the stacking order', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 20, height: 20, background: [0, 0, 0] });
    const made: PsLayer[] = [];
    const group = await modal(ps, async () => {
      for (const name of ['a', 'b', 'c']) {
        const layer = await doc.createPixelLayer({ name });
        assert.ok(layer);
        made.push(layer);
      }
      // Handed over in creation order, not stacking order: the stack decides.
      return doc.createLayerGroup({ name: 'frames', fromLayers: made });
    });
    assert.ok(group);
    assert.equal(group.kind, 'group');
    assert.deepEqual(names(doc.layers), ['frames', 'Background'], 'doc.layers is the top level only');
    assert.deepEqual(names(group.layers), ['c', 'b', 'a'], 'new layers stack upwards, the group keeps that order');
    assert.equal(made[0]?.parent?.id, group.id);
    assert.equal(group.parent, null);
    assert.equal(made[0]?.layers, null, 'a pixel layer has no .layers');
    assert.equal(doc.activeLayers[0]?.id, group.id, 'the new group is active');
  });

  test('group bounds are the union of the content; an empty group has zero bounds', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 40, height: 40, background: [0, 0, 0] });
    const group = await modal(ps, async () => {
      const ids: PsLayer[] = [];
      for (const [left, top] of [[3, 4], [20, 25]] as const) {
        const layer = await doc.createPixelLayer({ name: `${left}` });
        assert.ok(layer);
        const img = await ps.imaging.createImageDataFromBuffer(new Uint8Array(2 * 3 * 4).fill(255), { width: 2, height: 3, components: 4, colorSpace: 'RGB' });
        await ps.imaging.putPixels({ documentID: doc.id, layerID: layer.id, imageData: img, targetBounds: { left, top } });
        img.dispose();
        ids.push(layer);
      }
      return doc.createLayerGroup({ name: 'g', fromLayers: ids });
    });
    assert.deepEqual(group?.boundsNoEffects, { left: 3, top: 4, right: 22, bottom: 28 });
    const empty = await modal(ps, () => doc.createLayerGroup({ name: 'empty' }));
    assert.deepEqual(empty?.boundsNoEffects, { left: 0, top: 0, right: 0, bottom: 0 });
  });

  test('a new layer with a group active goes inside it at the top; a hidden group hides its content', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 4, height: 4, background: [0, 0, 0] });
    const group = await modal(ps, () => doc.createLayerGroup({ name: 'g' }));
    assert.ok(group);
    const inner = await modal(ps, async () => {
      const layer = await doc.createPixelLayer({ name: 'inside' });
      assert.ok(layer);
      const img = await ps.imaging.createImageDataFromBuffer(Uint8Array.of(255, 0, 0, 255), { width: 1, height: 1, components: 4, colorSpace: 'RGB' });
      await ps.imaging.putPixels({ documentID: doc.id, layerID: layer.id, imageData: img, targetBounds: { left: 1, top: 1 } });
      img.dispose();
      return layer;
    });
    assert.equal(inner.parent?.id, group.id);
    const red = async () => {
      const got = await ps.imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 1, top: 1, right: 2, bottom: 2 } });
      const data = [...(await got.imageData.getData())];
      got.imageData.dispose();
      return data;
    };
    assert.deepEqual(await red(), [255, 0, 0]);
    await modal(ps, async () => void (group.visible = false));
    assert.deepEqual(await red(), [0, 0, 0], 'content of a hidden group is not composited');
    await assert.rejects(modal(ps, async () => {
      const img = await ps.imaging.createImageDataFromBuffer(Uint8Array.of(1, 2, 3, 4), { width: 1, height: 1, components: 4, colorSpace: 'RGB' });
      try {
        await ps.imaging.putPixels({ documentID: doc.id, layerID: group.id, imageData: img });
      } finally {
        img.dispose();
      }
    }), /group/);
  });

  test('the Background layer cannot be grouped; a rolled-back group leaves the tree as it was', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 4, height: 4, background: [0, 0, 0] });
    const bg = doc.layers[0];
    assert.ok(bg);
    await assert.rejects(modal(ps, () => doc.createLayerGroup({ fromLayers: [bg] })), /background/);
    const before = doc.layerStates.map((l) => [l.id, l.parentId]);
    await assert.rejects(ps.core.executeAsModal(async (ctx) => {
      await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 'x' });
      const a = await doc.createPixelLayer({ name: 'a' });
      assert.ok(a);
      await doc.createLayerGroup({ name: 'g', fromLayers: a });
      throw new Error('boom');
    }, { commandName: 'y' }), /boom/);
    assert.deepEqual(doc.layerStates.map((l) => [l.id, l.parentId]), before);
    assert.equal(doc.activeLayers[0]?.id, bg.id, 'the active layer is restored too');
  });
});
