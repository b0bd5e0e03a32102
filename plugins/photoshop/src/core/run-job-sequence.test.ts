import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeError, type GenerateMessage } from '@latent-bridge/shared';
import { BridgeClient } from '../client/bridge-client.js';
import { FAKE_BLUE, FAKE_RED, FakeBridgeSocket, type FakeBridgeOptions } from '../fake/fake-bridge-socket.js';
import type { FakeDocument } from '../fake/fake-document.js';
import type { FakePhotoshop } from '../fake/fake-photoshop.js';
import { paintedScene } from '../fake/scenes.js';
import { PhotoshopHost } from '../host/photoshop-host.js';
import { runJob } from './run-job.js';
import { DEFAULT_SETTINGS, type JobSettings } from './settings.js';

// Animations and prompt lists on the fake host with a streaming in-memory bridge: one group,
// one layer per frame or entry in order (frame 0 at the bottom), one history state.

function rig(options: FakeBridgeOptions = {}) {
  const received: GenerateMessage[] = [];
  const client = new BridgeClient({ url: 'ws://fake', clientName: 't', socketFactory: () => new FakeBridgeSocket({ ...options, received }) });
  return { client, received };
}

function settings(overrides: Partial<JobSettings>): JobSettings {
  return { ...DEFAULT_SETTINGS, model: 'demo', prompt: 'red', steps: 2, seed: 42, ...overrides };
}

function snapshot(doc: FakeDocument) {
  return { tree: doc.layerStates.map((l) => [l.id, l.parentId, l.visible, l.name]), history: [...doc.historyStates], pixels: doc.layerStates.map((l) => Buffer.from(l.pixels.buffer.slice(0))) };
}

async function centre(ps: FakePhotoshop, doc: FakeDocument, id: number): Promise<number[]> {
  const layer = doc.layerState(id);
  const x = layer.box.left + Math.floor(layer.box.width / 2);
  const y = layer.box.top + Math.floor(layer.box.height / 2);
  const got = await ps.imaging.getPixels({ documentID: doc.id, layerID: id, componentSize: 8, sourceBounds: { left: x, top: y, right: x + 1, bottom: y + 1 } });
  const data = [...(await got.imageData.getData())];
  got.imageData.dispose();
  return data;
}

function groupContent(doc: FakeDocument, groupId: number): number[] {
  return doc.layerStates.filter((l) => l.parentId === groupId).map((l) => l.id);
}

describe('animation and prompt-list jobs', () => {
  test('an animation of 4 frames becomes one group of 4 layers, frame 1 at the bottom, in one history state', async () => {
    const { ps, doc } = paintedScene({ depth: 8, select: false, width: 64, height: 48 });
    const before = snapshot(doc);
    const { client, received } = rig();
    const frames: number[] = [];
    const outcome = await runJob(new PhotoshopHost(ps), client, settings({ jobKind: 'animation', animationFrames: 4, animationToPrompt: 'blue', batch: 3, variationSeed: 7, variationStrength: 0.5 }), 512, {
      events: { onResult: (r) => frames.push(r.index) },
    });
    assert.deepEqual(frames, [0, 1, 2, 3], 'results streamed in order');
    const sent = received[0];
    assert.ok(sent);
    assert.deepEqual(sent.animation, { frames: 4, toPrompt: 'blue' });
    assert.equal(sent.batch, 1, 'a sequence is batch 1 whatever the batch field says');
    assert.equal(sent.variation, undefined, 'animations move between seeds with toSeed, not variation');
    assert.equal(sent.mode, 'txt2img');

    assert.deepEqual(doc.historyStates, [...before.history, 'latent-bridge animation']);
    const groupId = outcome.groupId;
    assert.ok(groupId !== null);
    const group = doc.layerState(groupId);
    assert.equal(group.kind, 'group');
    assert.equal(group.name, 'red → blue (4 frames)');
    assert.equal(group.parentId, null);
    assert.deepEqual(groupContent(doc, groupId), [...outcome.layerIds].reverse(), 'top of the group is the last frame');
    assert.deepEqual(doc.layerStates.slice(5).map((l) => l.id), before.tree.map((t) => t[0]), 'existing layers below, unchanged order');
    const reds: number[] = [];
    const blues: number[] = [];
    for (const [i, id] of outcome.layerIds.entries()) {
      const layer = doc.layerState(id);
      assert.equal(layer.name, `red → blue · frame ${i + 1}/4 · t ${(i / 3).toFixed(2)} · seed ${42 + i}`);
      assert.deepEqual(layer.box, { left: 0, top: 0, width: 64, height: 48 });
      assert.equal(layer.visible, i === 0, 'the first frame shows; the strip picks others');
      const [r, , b] = await centre(ps, doc, id);
      reds.push(r ?? -1);
      blues.push(b ?? -1);
    }
    assert.deepEqual([reds[0], blues[0]], [FAKE_RED[0], FAKE_RED[2]]);
    assert.deepEqual([reds[3], blues[3]], [FAKE_BLUE[0], FAKE_BLUE[2]]);
    for (let i = 1; i < 4; i++) {
      assert.ok((reds[i] ?? 0) < (reds[i - 1] ?? 0), `red decreases: ${reds}`);
      assert.ok((blues[i] ?? 0) > (blues[i - 1] ?? 0), `blue increases: ${blues}`);
    }
    for (const [i, o] of before.pixels.entries()) assert.ok(Buffer.from(doc.layerState(before.tree[i]?.[0] as number).pixels.buffer).equals(o));
    assert.deepEqual(ps.violations, []);
    assert.equal(ps.liveImages.size, 0);
  });

  test('with a selection the stack sits at the selection, each layer masked by it', async () => {
    const { ps, doc, selection } = paintedScene({ depth: 16 });
    assert.ok(selection);
    const { client } = rig();
    const outcome = await runJob(new PhotoshopHost(ps), client, settings({ jobKind: 'animation', animationFrames: 3, animationToSeed: 9 }), 512);
    assert.equal(outcome.plan.mode, 'txt2img', 'auto mode with a selection is txt2img for an animation');
    assert.equal(doc.layerState(outcome.groupId ?? -1).name, 'red · seed 42 → 9 (3 frames)');
    const bounds = { left: selection.left, top: selection.top, right: selection.left + selection.width, bottom: selection.top + selection.height };
    const sel = await ps.imaging.getSelection({ documentID: doc.id, sourceBounds: bounds });
    const selected = await sel.imageData.getData();
    sel.imageData.dispose();
    for (const id of outcome.layerIds) {
      assert.deepEqual(doc.layerState(id).box, selection);
      const mask = await ps.imaging.getLayerMask({ documentID: doc.id, layerID: id, sourceBounds: bounds });
      assert.deepEqual(await mask.imageData.getData(), selected);
      mask.imageData.dispose();
    }
  });

  test('a 2-line prompt list: prompt "" with one entry per line, one layer per entry', async () => {
    const { ps, doc } = paintedScene({ depth: 8, select: false, width: 40, height: 40 });
    const { client, received } = rig();
    const outcome = await runJob(new PhotoshopHost(ps), client, settings({ jobKind: 'prompt-list', promptList: '  a red door \n\n a blue door\n', variationSeed: 5, variationStrength: 0.3, mixMode: 'noise' }), 512);
    const sent = received[0];
    assert.equal(sent?.prompt, '');
    assert.deepEqual(sent?.prompts, [{ prompt: 'a red door' }, { prompt: 'a blue door' }]);
    assert.deepEqual(sent?.variation, { seed: 5, strength: 0.3 });
    assert.equal(sent?.mixMode, 'noise');
    assert.equal(doc.historyStates.at(-1), 'latent-bridge prompt list');
    const groupId = outcome.groupId ?? -1;
    assert.equal(doc.layerState(groupId).name, 'a red door | a blue door (2 prompts)');
    assert.deepEqual(groupContent(doc, groupId), [...outcome.layerIds].reverse());
    assert.deepEqual(outcome.layerIds.map((id) => doc.layerState(id).name), ['a red door · entry 1/2 · seed 42', 'a blue door · entry 2/2 · seed 43']);
  });

  test('cancel after the first streamed frame: no layer, no group, no history state', async () => {
    const { ps, doc } = paintedScene({ depth: 8 });
    const before = snapshot(doc);
    const { client } = rig({ resultDelayMs: 20 });
    const abort = new AbortController();
    let seen = 0;
    const err = await runJob(new PhotoshopHost(ps), client, settings({ jobKind: 'animation', animationFrames: 6, animationToPrompt: 'blue' }), 512, {
      signal: abort.signal,
      events: { onResult: () => (seen++ === 0 ? abort.abort() : undefined) },
    }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof BridgeError && err.code === 'cancelled', String(err));
    assert.equal(seen, 1);
    assert.deepEqual(snapshot(doc), before);
  });

  test('bad sequences fail before any network with the field named', async () => {
    const { ps, doc } = paintedScene({ depth: 8 });
    const before = snapshot(doc);
    const { client, received } = rig();
    const host = new PhotoshopHost(ps);
    const code = (s: Partial<JobSettings>) => runJob(host, client, settings(s), 512).then(() => null, (e: unknown) => (e instanceof BridgeError ? `${e.code}:${e.field ?? ''}` : String(e)));
    assert.equal(await code({ jobKind: 'prompt-list', promptList: ' \n ' }), 'invalid_field:prompts');
    assert.equal(await code({ jobKind: 'animation', animationFrames: 1 }), 'invalid_field:animation.frames');
    assert.equal(await code({ jobKind: 'animation', mode: 'inpaint' }), 'host_unsupported:');
    assert.equal(received.length, 0);
    assert.deepEqual(snapshot(doc), before);
  });

  test('an ordinary job sends the variation and mix mode', async () => {
    const { ps } = paintedScene({ depth: 8, select: false, width: 16, height: 16 });
    const { client, received } = rig();
    const outcome = await runJob(new PhotoshopHost(ps), client, settings({ variationSeed: 77, variationStrength: 0.4 }), 512);
    assert.deepEqual(received[0]?.variation, { seed: 77, strength: 0.4 });
    assert.equal(received[0]?.mixMode, 'embeddings');
    assert.equal(outcome.groupId, null);
    const none = rig();
    await runJob(new PhotoshopHost(ps), none.client, settings({ variationSeed: 77, variationStrength: 0 }), 512);
    assert.equal(none.received[0]?.variation, undefined, 'strength 0 sends no variation');
  });
});
