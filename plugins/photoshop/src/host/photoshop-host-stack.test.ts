import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PasteItem } from '../core/host.js';
import { paintedScene } from '../fake/scenes.js';
import { PhotoshopHost } from './photoshop-host.js';

// pasteStack: the layer stack of an animation or prompt list, on the fake photoshop module.

function item(name: string, visible = true): PasteItem {
  return { rect: { left: 5, top: 6, width: 2, height: 2 }, rgba: new Uint8Array(16).fill(200), name, visible, mask: null };
}

function tree(doc: ReturnType<typeof paintedScene>['doc']) {
  return { layers: doc.layerStates.map((l) => [l.id, l.parentId, l.kind, l.visible]), history: [...doc.historyStates] };
}

describe('PhotoshopHost.pasteStack', () => {
  test('one group, item 0 at the bottom, one history state; showOnly reaches inside the group', async () => {
    const { ps, doc } = paintedScene({ depth: 8 });
    const host = new PhotoshopHost(ps);
    const history = doc.historyStates.length;
    const stack = await host.pasteStack(doc.id, { width: 160, height: 120 }, [item('f1'), item('f2', false), item('f3', false)], 'latent-bridge animation', 'anim');
    assert.deepEqual(doc.historyStates.slice(history), ['latent-bridge animation']);
    assert.deepEqual(doc.layerStates.slice(0, 4).map((l) => l.name), ['anim', 'f3', 'f2', 'f1']);
    assert.deepEqual(stack.layerIds.map((id) => doc.layerState(id).parentId), [stack.groupId, stack.groupId, stack.groupId]);
    assert.deepEqual(stack.layerIds.map((id) => doc.layerState(id).visible), [true, false, false]);
    await host.showOnly(doc.id, stack.layerIds, stack.layerIds[2] ?? -1);
    assert.deepEqual(stack.layerIds.map((id) => doc.layerState(id).visible), [false, false, true]);
  });

  test('a failure half-way rolls everything back', async () => {
    const { ps, doc } = paintedScene({ depth: 8 });
    const host = new PhotoshopHost(ps);
    const before = tree(doc);
    await assert.rejects(host.pasteStack(doc.id, { width: 160, height: 120 }, [item('ok'), { ...item('broken'), rgba: new Uint8Array(3) }], 'h', 'g'));
    assert.deepEqual(tree(doc), before);
  });

  // Adobe leaves the order inside a new group unspecified (finding 9): the host places every
  // layer itself with Layer.move, and never fails a finished job over the order.
  test('whatever order createLayerGroup leaves, the stack ends item 0 at the bottom', async () => {
    const grouped = async (setup: (doc: ReturnType<typeof paintedScene>['doc']) => void) => {
      const { ps, doc } = paintedScene({ depth: 8 });
      setup(doc);
      const stack = await new PhotoshopHost(ps).pasteStack(doc.id, { width: 160, height: 120 }, [item('f1'), item('f2'), item('f3')], 'h', 'anim');
      assert.deepEqual(doc.children(stack.groupId).map((l) => l.name), ['f3', 'f2', 'f1']);
      assert.deepEqual(doc.historyStates.slice(-1), ['h'], 'still one history state');
    };
    await grouped((doc) => (doc.groupOrder = 'argument'));
    await grouped((doc) => {
      // A group that ignores fromLayers entirely (empty, where a new layer would go).
      const real = doc.createLayerGroup.bind(doc);
      doc.createLayerGroup = (options) => real({ ...(options?.name !== undefined ? { name: options.name } : {}) });
    });
  });
});
