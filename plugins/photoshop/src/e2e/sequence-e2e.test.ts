import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { BridgeClient } from '../client/bridge-client.js';
import { runJob, type JobOutcome } from '../core/run-job.js';
import { DEFAULT_SETTINGS, type JobSettings } from '../core/settings.js';
import type { FakeDocument } from '../fake/fake-document.js';
import type { FakePhotoshop } from '../fake/fake-photoshop.js';
import { paintedScene } from '../fake/scenes.js';
import { PhotoshopHost } from '../host/photoshop-host.js';
import { bridgeCliPath, spawnBridge, wsFactory, type SpawnedBridge } from './spawn-bridge.js';

// Animation and prompt-list jobs from the fake Photoshop through the real bridge server with
// the oracle demo model: "red" and "blue" at guidance 1 decode to these uniform colours
// (bridge-server testmodels: oracleExpectedPixel).
const RED = [191, 64, 64] as const;
const BLUE = [64, 64, 191] as const;
const cli = bridgeCliPath();
const skip = cli === null ? 'bridge-server/dist/cli/main.js is not built (npm run build)' : false;

function settings(overrides: Partial<JobSettings>): JobSettings {
  return { ...DEFAULT_SETTINGS, model: 'demo', prompt: 'red', guidance: 1, steps: 3, seed: 42, ...overrides };
}

function rig(ps: FakePhotoshop, bridge: SpawnedBridge) {
  const networkInModal: string[] = [];
  const client = new BridgeClient({
    url: bridge.wsUrl,
    token: bridge.token,
    clientName: 'photoshop-e2e/0.1.0',
    socketFactory: wsFactory(() => {
      if (ps.isModal) networkInModal.push(new Error().stack ?? 'send');
    }),
  });
  return { host: new PhotoshopHost(ps), client, networkInModal };
}

/**
 * Runs the job; a bridge that is built but does not run this kind of job yet fails the test
 * with that said plainly (it is not skipped: the plug-in side is done and must be exercised).
 */
async function sequenceJob(kind: string, job: Promise<JobOutcome>): Promise<JobOutcome> {
  try {
    return await job;
  } catch (err) {
    const detail = err instanceof BridgeError ? `${err.code}${err.field ? ` (${err.field})` : ''}: ${err.message}` : String(err);
    assert.fail(`The bridge server at ${cli} did not run the ${kind} job: ${detail}. If bridge-server/src/server/job-runner.ts does not handle ${kind} jobs yet, this is expected until it does (then rebuild: npx tsc -b shared bridge-server).`);
  }
}

function originals(doc: FakeDocument) {
  return doc.layerStates.map((l) => ({ id: l.id, parentId: l.parentId, visible: l.visible, name: l.name, box: { ...l.box }, pixels: Buffer.from(l.pixels.buffer.slice(0)), mask: l.mask }));
}

function assertOriginalsUntouched(doc: FakeDocument, before: ReturnType<typeof originals>): void {
  for (const o of before) {
    const now = doc.layerState(o.id);
    assert.ok(Buffer.from(now.pixels.buffer).equals(o.pixels), `original layer "${o.name}" byte-identical`);
    assert.deepEqual([now.box, now.parentId, now.visible, now.name, now.mask], [o.box, o.parentId, o.visible, o.name, o.mask]);
  }
}

async function pixelAt(ps: FakePhotoshop, doc: FakeDocument, layerID: number, x: number, y: number): Promise<number[]> {
  const got = await ps.imaging.getPixels({ documentID: doc.id, layerID, componentSize: 8, sourceBounds: { left: x, top: y, right: x + 1, bottom: y + 1 } });
  const data = [...(await got.imageData.getData())];
  got.imageData.dispose();
  return data;
}

function near(actual: readonly number[], expected: readonly number[], tolerance: number): boolean {
  return expected.every((v, i) => Math.abs((actual[i] ?? -999) - v) <= tolerance);
}

function contentOf(doc: FakeDocument, groupId: number): number[] {
  return doc.layerStates.filter((l) => l.parentId === groupId).map((l) => l.id);
}

describe('photoshop layer stacks against the real bridge server', { skip, timeout: 240_000 }, () => {
  let bridge: SpawnedBridge;
  before(async () => {
    bridge = await spawnBridge(cli as string);
  });
  after(async () => {
    await bridge?.stop();
  });

  test('animation red → blue, 4 frames, on a feathered selection of a 16-bit document', async () => {
    const { ps, doc, selection } = paintedScene({ depth: 16 });
    assert.ok(selection);
    const { host, client, networkInModal } = rig(ps, bridge);
    const before = originals(doc);
    const history = doc.historyStates.length;
    const streamed: number[] = [];
    const outcome = await sequenceJob('animation', runJob(host, client, settings({ jobKind: 'animation', animationFrames: 4, animationToPrompt: 'blue' }), 512, {
      events: { onResult: (r) => streamed.push(r.index) },
    }));
    client.close();

    assert.deepEqual(streamed, [0, 1, 2, 3], 'frames streamed in order');
    assert.deepEqual(doc.historyStates.slice(history), ['latent-bridge animation'], 'exactly one new history state');
    assert.equal(doc.layerStates.length, before.length + 5, 'one group and four layers added');
    const groupId = outcome.groupId;
    assert.ok(groupId !== null);
    const group = doc.layerState(groupId);
    assert.equal(group.kind, 'group');
    assert.equal(group.name, 'red → blue (4 frames)');
    assert.deepEqual(contentOf(doc, groupId), [...outcome.layerIds].reverse(), 'frame 1 at the bottom of the group, frame 4 at the top');

    const cx = selection.left + Math.floor(selection.width / 2);
    const cy = selection.top + Math.floor(selection.height / 2);
    const colours: number[][] = [];
    for (const [i, id] of outcome.layerIds.entries()) {
      const layer = doc.layerState(id);
      assert.match(layer.name, new RegExp(`^red → blue · frame ${i + 1}/4 · t ${(i / 3).toFixed(2)} · seed \\d+$`));
      assert.deepEqual(layer.box, selection, 'at the selection offset');
      assert.ok(layer.mask, 'masked by the selection');
      colours.push(await pixelAt(ps, doc, id, cx, cy));
    }
    assert.ok(near(colours[0] ?? [], RED, 2), `frame 1 is red: ${colours[0]}`);
    assert.ok(near(colours[3] ?? [], BLUE, 2), `frame 4 is blue: ${colours[3]}`);
    for (let i = 1; i < 4; i++) {
      assert.ok((colours[i]?.[0] ?? 0) < (colours[i - 1]?.[0] ?? 0), `red decreases frame to frame: ${JSON.stringify(colours)}`);
      assert.ok((colours[i]?.[2] ?? 0) > (colours[i - 1]?.[2] ?? 0), `blue increases frame to frame: ${JSON.stringify(colours)}`);
    }
    assertOriginalsUntouched(doc, before);
    assert.deepEqual(networkInModal, [], 'nothing sent while Photoshop was modal');
    assert.deepEqual(ps.violations, []);
    assert.equal(ps.liveImages.size, 0, 'all image data disposed');
  });

  test('a 2-line prompt list on the canvas: one layer per line, in order, in one group', async () => {
    const { ps, doc } = paintedScene({ depth: 8, select: false, width: 96, height: 64 });
    const { host, client, networkInModal } = rig(ps, bridge);
    const before = originals(doc);
    const history = doc.historyStates.length;
    const outcome = await sequenceJob('prompt-list', runJob(host, client, settings({ jobKind: 'prompt-list', prompt: '', promptList: 'red\nblue\n' }), 512));
    client.close();

    assert.deepEqual(doc.historyStates.slice(history), ['latent-bridge prompt list']);
    const groupId = outcome.groupId;
    assert.ok(groupId !== null);
    assert.equal(doc.layerState(groupId).name, 'red | blue (2 prompts)');
    assert.equal(outcome.layerIds.length, 2);
    assert.deepEqual(contentOf(doc, groupId), [...outcome.layerIds].reverse());
    const [redId, blueId] = outcome.layerIds;
    assert.ok(redId !== undefined && blueId !== undefined);
    assert.match(doc.layerState(redId).name, /^red · entry 1\/2 · seed \d+$/);
    assert.match(doc.layerState(blueId).name, /^blue · entry 2\/2 · seed \d+$/);
    for (const [id, colour] of [[redId, RED], [blueId, BLUE]] as const) {
      assert.deepEqual(doc.layerState(id).box, { left: 0, top: 0, width: 96, height: 64 });
      assert.equal(doc.layerState(id).mask, null);
      for (const [x, y] of [[0, 0], [47, 31], [95, 63]] as const) {
        const got = await pixelAt(ps, doc, id, x, y);
        assert.ok(near(got, [...colour, 255], 2), `${doc.layerState(id).name} at ${x},${y}: ${got}`);
      }
    }
    assertOriginalsUntouched(doc, before);
    assert.deepEqual(networkInModal, []);
  });

  test('cancel after the first streamed frame: no group, no layer, no history state', async () => {
    const { ps, doc } = paintedScene({ depth: 16 });
    const { host, client } = rig(ps, bridge);
    const before = originals(doc);
    const history = doc.historyStates.length;
    const abort = new AbortController();
    let frames = 0;
    const err = await runJob(host, client, settings({ jobKind: 'animation', animationFrames: 8, animationToPrompt: 'blue', steps: 40 }), 512, {
      signal: abort.signal,
      events: { onResult: () => (frames++ === 0 ? abort.abort() : undefined) },
    }).then(() => null, (e: unknown) => e);
    client.close();
    assert.ok(frames >= 1, 'a frame arrived before the cancel');
    assert.ok(err instanceof BridgeError && err.code === 'cancelled', `cancelled, got ${String(err)}`);
    assert.equal(doc.historyStates.length, history);
    assert.deepEqual(doc.layerStates.map((l) => l.id), before.map((l) => l.id));
    assertOriginalsUntouched(doc, before);
  });
});
