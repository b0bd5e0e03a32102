import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { BridgeClient } from '../client/bridge-client.js';
import { padWithin } from '../core/geometry.js';
import { plainError } from '../core/plain-words.js';
import { runJob } from '../core/run-job.js';
import { DEFAULT_SETTINGS, type JobSettings } from '../core/settings.js';
import type { FakeDocument } from '../fake/fake-document.js';
import type { FakePhotoshop } from '../fake/fake-photoshop.js';
import { paintedScene } from '../fake/scenes.js';
import { PhotoshopHost } from '../host/photoshop-host.js';
import { bridgeCliPath, spawnBridge, wsFactory, type SpawnedBridge } from './spawn-bridge.js';

// The fake Photoshop, the real adapter, core and client, and the real bridge server (CLI
// process on loopback) with the oracle demo models: prompt "red" at guidance 1 decodes to
// (191, 64, 64) (bridge-server testmodels: oracleExpectedPixel).
const RED = [191, 64, 64] as const;
const cli = bridgeCliPath();
const skip = cli === null ? 'bridge-server/dist/cli/main.js is not built (npm run build)' : false;

function settings(overrides: Partial<JobSettings>): JobSettings {
  return { ...DEFAULT_SETTINGS, prompt: 'red', guidance: 1, steps: 3, seed: 42, strength: 1, ...overrides };
}

/** Everything the e2e needs around one fake Photoshop. */
function rig(ps: FakePhotoshop, bridge: SpawnedBridge, token = bridge.token) {
  const networkInModal: string[] = [];
  const client = new BridgeClient({
    url: bridge.wsUrl,
    token,
    clientName: 'photoshop-e2e/0.1.0',
    socketFactory: wsFactory(() => {
      if (ps.isModal) networkInModal.push(new Error().stack ?? 'send');
    }),
  });
  return { host: new PhotoshopHost(ps), client, networkInModal };
}

function snapshot(doc: FakeDocument) {
  return doc.layerStates.map((l) => ({ id: l.id, box: { ...l.box }, pixels: Buffer.from(l.pixels.buffer.slice(0)), mask: l.mask, visible: l.visible, name: l.name }));
}

function assertUntouched(doc: FakeDocument, before: ReturnType<typeof snapshot>, history: number): void {
  assert.equal(doc.historyStates.length, history, 'no history state added');
  assert.deepEqual(doc.layerStates.map((l) => l.id), before.map((l) => l.id), 'no layer added or removed');
  for (const o of before) {
    const now = doc.layerState(o.id);
    assert.deepEqual(now.box, o.box);
    assert.ok(Buffer.from(now.pixels.buffer).equals(o.pixels), `layer "${o.name}" byte-identical`);
    assert.equal(now.mask, o.mask);
    assert.equal(now.visible, o.visible);
    assert.equal(now.name, o.name);
  }
}

async function layerRgba8(ps: FakePhotoshop, doc: FakeDocument, layerID: number): Promise<Uint8Array> {
  const got = await ps.imaging.getPixels({ documentID: doc.id, layerID, componentSize: 8 });
  const data = await got.imageData.getData();
  got.imageData.dispose();
  return Uint8Array.from(data);
}

function near(actual: ArrayLike<number>, expected: readonly number[], tolerance: number): boolean {
  return expected.every((v, i) => Math.abs((actual[i] ?? -999) - v) <= tolerance);
}

describe('photoshop plug-in against the real bridge server', { skip, timeout: 240_000 }, () => {
  let bridge: SpawnedBridge;
  before(async () => {
    bridge = await spawnBridge(cli as string);
  });
  after(async () => {
    await bridge?.stop();
  });

  test('inpaint "red" in a feathered selection of a 300-DPI 16-bit document', async () => {
    const { ps, doc, selection } = paintedScene({ depth: 16 });
    assert.ok(selection);
    const { host, client, networkInModal } = rig(ps, bridge);
    const originals = snapshot(doc);
    const history = doc.historyStates.length;
    let previews = 0;
    const source = await host.readRegion(doc.id, padWithin(selection, 16, doc), false);
    const outcome = await runJob(host, client, settings({ model: 'demo-inpaint', batch: 2, padding: 16, feather: 0, grow: 0 }), 512, {
      events: { onPreview: () => previews++ },
    });
    client.close();

    const region = padWithin(selection, 16, doc);
    assert.equal(outcome.plan.mode, 'inpaint');
    assert.deepEqual(outcome.plan.region, region);
    assert.deepEqual(doc.historyStates.slice(history), ['latent-bridge inpaint'], 'exactly one new history state');
    assert.equal(outcome.layerIds.length, 2, 'one layer per result');
    assert.equal(doc.layerStates.length, originals.length + 2);
    assert.ok(previews > 0, 'live previews arrived');

    const selectionData = await ps.imaging.getSelection({ documentID: doc.id, sourceBounds: { left: region.left, top: region.top, right: region.left + region.width, bottom: region.top + region.height } });
    const selected = await selectionData.imageData.getData();
    selectionData.imageData.dispose();
    for (const [i, id] of outcome.layerIds.entries()) {
      const layer = doc.layerState(id);
      assert.deepEqual(layer.box, region, 'layer at the selection offset (padded region)');
      assert.match(layer.name, /^red · seed \d+ \(\d\/2\)$/);
      assert.equal(layer.visible, i === 0);
      const mask = await ps.imaging.getLayerMask({ documentID: doc.id, layerID: id, sourceBounds: { left: region.left, top: region.top, right: region.left + region.width, bottom: region.top + region.height } });
      assert.deepEqual(await mask.imageData.getData(), selected, 'layer mask equals the selection, sample for sample');
      mask.imageData.dispose();
      const rgba = await layerRgba8(ps, doc, id);
      let inside = 0;
      const off: string[] = [];
      for (let p = 0; p < region.width * region.height; p++) {
        if (selected[p] !== 32768) continue;
        inside++;
        if (!near(rgba.subarray(p * 4, p * 4 + 4), [...RED, 255], 2)) off.push(`${p % region.width},${Math.floor(p / region.width)}:${[...rgba.subarray(p * 4, p * 4 + 3)]}`);
      }
      assert.ok(inside > 1000);
      assert.deepEqual(off.slice(0, 20), [], `${off.length} of ${inside} fully selected pixels are not red`);
      // Unselected pixels come back as the source: equal only if the paste offset is right.
      let outside = 0;
      for (let p = 0; p < region.width * region.height; p++) {
        if (selected[p] !== 0) continue;
        outside++;
        assert.deepEqual([...rgba.subarray(p * 4, p * 4 + 4)], [...source.rgba.subarray(p * 4, p * 4 + 4)], `unselected pixel ${p % region.width},${Math.floor(p / region.width)} equals the document under it`);
      }
      assert.ok(outside > 500);
    }
    for (const o of originals) {
      const now = doc.layerState(o.id);
      assert.ok(Buffer.from(now.pixels.buffer).equals(o.pixels), `original layer "${o.name}" byte-identical`);
      assert.deepEqual(now.box, o.box);
    }
    assert.deepEqual(networkInModal, [], 'nothing sent while Photoshop was modal');
    assert.deepEqual(ps.violations, []);
    assert.equal(ps.liveImages.size, 0, 'all image data disposed');
  });

  test('txt2img without a selection fills a canvas-sized layer', async () => {
    const { ps, doc } = paintedScene({ depth: 8, select: false, width: 96, height: 64 });
    const { host, client, networkInModal } = rig(ps, bridge);
    const history = doc.historyStates.length;
    const outcome = await runJob(host, client, settings({ model: 'demo' }), 512);
    client.close();
    assert.equal(outcome.plan.mode, 'txt2img');
    assert.deepEqual(doc.historyStates.slice(history), ['latent-bridge generate']);
    const [id] = outcome.layerIds;
    assert.ok(id !== undefined);
    const layer = doc.layerState(id);
    assert.deepEqual(layer.box, { left: 0, top: 0, width: 96, height: 64 });
    assert.equal(layer.mask, null);
    const rgba = await layerRgba8(ps, doc, id);
    for (let p = 0; p < 96 * 64; p += 37) assert.ok(near(rgba.subarray(p * 4, p * 4 + 4), [...RED, 255], 2));
    assert.deepEqual(networkInModal, []);
  });

  test('img2img on the whole canvas', async () => {
    const { ps, doc } = paintedScene({ depth: 16, select: false, width: 88, height: 72 });
    const { host, client } = rig(ps, bridge);
    const originals = snapshot(doc);
    const outcome = await runJob(host, client, settings({ model: 'demo', mode: 'img2img', img2imgScope: 'canvas' }), 512);
    client.close();
    assert.equal(outcome.plan.mode, 'img2img');
    const [id] = outcome.layerIds;
    assert.ok(id !== undefined);
    assert.deepEqual(doc.layerState(id).box, { left: 0, top: 0, width: 88, height: 72 });
    const rgba = await layerRgba8(ps, doc, id);
    assert.ok(near(rgba.subarray(0, 4), [...RED, 255], 3), `strength 1 gives the prompt colour, got ${[...rgba.subarray(0, 4)]}`);
    for (const o of originals) assert.ok(Buffer.from(doc.layerState(o.id).pixels.buffer).equals(o.pixels));
  });

  test('img2img on the selection: padded region, layer mask equal to the selection', async () => {
    const { ps, doc, selection } = paintedScene({ depth: 8 });
    assert.ok(selection);
    const { host, client } = rig(ps, bridge);
    const outcome = await runJob(host, client, settings({ model: 'demo', mode: 'img2img', img2imgScope: 'selection', padding: 8 }), 512);
    client.close();
    const region = padWithin(selection, 8, doc);
    const [id] = outcome.layerIds;
    assert.ok(id !== undefined);
    assert.deepEqual(doc.layerState(id).box, region);
    const bounds = { left: region.left, top: region.top, right: region.left + region.width, bottom: region.top + region.height };
    const mask = await ps.imaging.getLayerMask({ documentID: doc.id, layerID: id, sourceBounds: bounds });
    const sel = await ps.imaging.getSelection({ documentID: doc.id, sourceBounds: bounds });
    assert.deepEqual(await mask.imageData.getData(), await sel.imageData.getData());
  });

  test('cancel mid-job leaves no layer and no history state', async () => {
    const { ps, doc } = paintedScene({ depth: 16 });
    const { host, client } = rig(ps, bridge);
    const originals = snapshot(doc);
    const history = doc.historyStates.length;
    const abort = new AbortController();
    let progressSeen = 0;
    await assert.rejects(
      runJob(host, client, settings({ model: 'demo', mode: 'txt2img', steps: 150, batch: 4 }), 512, {
        signal: abort.signal,
        events: {
          onProgress: () => {
            if (progressSeen++ === 0) abort.abort();
          },
        },
      }),
      (err: unknown) => err instanceof BridgeError && err.code === 'cancelled',
    );
    client.close();
    assert.ok(progressSeen > 0);
    assertUntouched(doc, originals, history);
  });

  test('a wrong token gets a plain message and leaves the document untouched', async () => {
    const { ps, doc } = paintedScene({ depth: 8 });
    const { host, client } = rig(ps, bridge, 'not-the-token');
    const originals = snapshot(doc);
    const history = doc.historyStates.length;
    const err = await runJob(host, client, settings({ model: 'demo-inpaint' }), 512).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof BridgeError && err.code === 'unauthorized', String(err));
    assert.match(plainError(err).action, /latent-bridge token/);
    assertUntouched(doc, originals, history);
  });

  test('bridge killed mid-job: a message, no partial layer', async () => {
    const doomed = await spawnBridge(cli as string, 'doomed');
    try {
      const { ps, doc } = paintedScene({ depth: 16 });
      const { host, client } = rig(ps, doomed);
      const originals = snapshot(doc);
      const history = doc.historyStates.length;
      const err = await runJob(host, client, settings({ model: 'demo', mode: 'txt2img', steps: 150, batch: 4 }), 512, {
        events: { onProgress: () => doomed.process.kill('SIGKILL') },
      }).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof BridgeError && err.code === 'bridge_unreachable', String(err));
      assert.match(plainError(err).text, /cannot be reached/);
      assertUntouched(doc, originals, history);
      // Reconnect on demand: the next job finds no bridge and says so, without hanging.
      const again = await runJob(host, client, settings({ model: 'demo-inpaint' }), 512).then(() => null, (e: unknown) => e);
      assert.ok(again instanceof BridgeError && again.code === 'bridge_unreachable');
      assertUntouched(doc, originals, history);
    } finally {
      await doomed.stop();
    }
  });
});
