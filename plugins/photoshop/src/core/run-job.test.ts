import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { BridgeClient } from '../client/bridge-client.js';
import { FakeBridgeSocket } from '../fake/fake-bridge-socket.js';
import type { FakeDocument } from '../fake/fake-document.js';
import type { FakePhotoshop } from '../fake/fake-photoshop.js';
import { paintedScene } from '../fake/scenes.js';
import { PhotoshopHost } from '../host/photoshop-host.js';
import { runJob, type JobBackend } from './run-job.js';
import { DEFAULT_SETTINGS } from './settings.js';

// runJob with the real adapter on the fake photoshop module and an in-memory bridge: the bad
// inputs of the issue each end in a BridgeError and leave the document as it was.

const settings = { ...DEFAULT_SETTINGS, model: 'demo-inpaint', prompt: 'red', steps: 2 };

function client(): BridgeClient {
  return new BridgeClient({ url: 'ws://fake', clientName: 't', socketFactory: () => new FakeBridgeSocket() });
}

/** A backend that does something to the document while the job runs. */
function meddling(ps: FakePhotoshop, doc: FakeDocument, act: 'close' | 'resize'): JobBackend {
  const real = client();
  return {
    async generate(fields, frames, options) {
      const results = await real.generate(fields, frames, options);
      if (act === 'close') ps.closeDocument(doc);
      else ps.resizeCanvas(doc, doc.width + 10, doc.height);
      return results;
    },
  };
}

function state(doc: FakeDocument) {
  return { layers: doc.layerStates.map((l) => l.id), history: [...doc.historyStates] };
}

async function failsWith(job: Promise<unknown>, code: string): Promise<BridgeError> {
  const err = await job.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof BridgeError, `expected a BridgeError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

describe('runJob with the fake host', () => {
  test('a job pastes one layer per result in one history state', async () => {
    const { ps, doc } = paintedScene({ depth: 8 });
    const before = state(doc);
    const outcome = await runJob(new PhotoshopHost(ps), client(), { ...settings, batch: 2 }, 512);
    assert.equal(outcome.layerIds.length, 2);
    assert.deepEqual(doc.historyStates, [...before.history, 'latent-bridge inpaint']);
  });

  test('a region over the bridge pixel limit is sent shrunk and pasted at full size', async () => {
    const { ps, doc } = paintedScene({ depth: 8 });
    const sizes: string[] = [];
    const real = client();
    const backend: JobBackend = {
      generate: (fields, frames, options) => {
        sizes.push(`${frames.image?.width}x${frames.image?.height}`, `${frames.mask?.width}x${frames.mask?.height}`);
        return real.generate(fields, frames, options);
      },
    };
    const outcome = await runJob(new PhotoshopHost(ps), backend, { ...settings, padding: 0 }, 512, { maxPixels: 1000 });
    assert.deepEqual(sizes, ['36x27', '36x27']);
    const [id] = outcome.layerIds;
    assert.ok(id !== undefined);
    assert.deepEqual(doc.layerState(id).box, { left: 37, top: 29, width: 61, height: 47 });
  });

  test('document closed mid-job → document_changed, nothing added', async () => {
    const { ps, doc } = paintedScene();
    const before = state(doc);
    const err = await failsWith(runJob(new PhotoshopHost(ps), meddling(ps, doc, 'close'), settings, 512), 'document_changed');
    assert.match(err.message, /closed/);
    assert.deepEqual(state(doc).layers, before.layers);
  });

  test('document resized mid-job → document_changed, nothing added', async () => {
    const { ps, doc } = paintedScene();
    const before = state(doc);
    await failsWith(runJob(new PhotoshopHost(ps), meddling(ps, doc, 'resize'), settings, 512), 'document_changed');
    assert.deepEqual(state(doc).layers, before.layers);
    assert.deepEqual(state(doc).history, [...before.history, 'Canvas Size']);
  });

  test('no document, CMYK, selection outside the canvas, 1×1 selection → host_unsupported', async () => {
    const { FakePhotoshop: Ctor } = await import('../fake/fake-photoshop.js');
    const empty = new Ctor();
    await failsWith(runJob(new PhotoshopHost(empty), client(), settings, 512), 'host_unsupported');

    const cmyk = new Ctor();
    const cmykDoc = cmyk.createDocument({ width: 50, height: 50, mode: 'CMYKColorMode', background: [1, 1, 1] });
    await failsWith(runJob(new PhotoshopHost(cmyk), client(), settings, 512), 'host_unsupported');
    assert.deepEqual(cmykDoc.historyStates, ['Open']);

    const { ps, doc } = paintedScene();
    const before = state(doc);
    ps.select(doc, { left: 500, top: 500, width: 20, height: 20 }, () => 1);
    await failsWith(runJob(new PhotoshopHost(ps), client(), settings, 512), 'host_unsupported');
    ps.select(doc, { left: 9, top: 9, width: 1, height: 1 }, () => 1);
    await failsWith(runJob(new PhotoshopHost(ps), client(), settings, 512), 'host_unsupported');
    assert.deepEqual(state(doc), before);
  });

  test('a selection with nothing selected inside its bounds → mask_invalid before any network', async () => {
    const { ps, doc } = paintedScene();
    ps.select(doc, { left: 20, top: 20, width: 30, height: 30 }, () => 0);
    let called = false;
    const backend: JobBackend = { generate: async () => ((called = true), []) };
    await failsWith(runJob(new PhotoshopHost(ps), backend, settings, 512), 'mask_invalid');
    assert.equal(called, false);
  });
});
