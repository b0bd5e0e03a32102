import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { photoshopPackageRoot } from '../build/package-root.js';
import { BridgeClient } from '../client/bridge-client.js';
import { BRIDGE_SUBPROTOCOL, socketFactoryFor, type SocketLike } from '../client/socket.js';
import { FakeBridgeSocket, type FakeBridgeOptions } from '../fake/fake-bridge-socket.js';
import { FakePhotoshop } from '../fake/fake-photoshop.js';
import { paintedScene } from '../fake/scenes.js';
import { UxpAbortController } from '../fake/uxp-dom.js';
import { PhotoshopHost } from '../host/photoshop-host.js';
import { runJob } from './run-job.js';
import { DEFAULT_SETTINGS } from './settings.js';

// One test per finding of the UXP review (issue 20) that the Node side can show; the DOM ones
// (toggleAttribute, replaceChildren, seeds, token) are in ui/widgets.test.ts and the panel
// screenshot test, which runs the panel in a page stripped to what UXP 7 has.

const settings = { ...DEFAULT_SETTINGS, model: 'demo-inpaint', prompt: 'red', steps: 2 };

function client(options: FakeBridgeOptions = {}): BridgeClient {
  return new BridgeClient({ url: 'ws://fake', clientName: 't', socketFactory: () => new FakeBridgeSocket(options) });
}

describe('UXP review findings', () => {
  test('3: cancel works with an AbortSignal that has no addEventListener (UXP documents none)', async () => {
    const sent: string[] = [];
    const c = new BridgeClient({
      url: 'ws://fake',
      clientName: 't',
      socketFactory: () => {
        const s = new FakeBridgeSocket({ resultDelayMs: 30 });
        const send = s.send.bind(s);
        s.send = (data) => {
          if (typeof data === 'string') sent.push(String((JSON.parse(data) as { type: string }).type));
          send(data);
        };
        return s;
      },
    });
    const abort = new UxpAbortController();
    assert.equal((abort.signal as unknown as { addEventListener?: unknown }).addEventListener, undefined);
    const job = c.generate({ mode: 'txt2img', model: 'demo', prompt: 'red', steps: 4, batch: 3, guidance: 1, scheduler: 'euler' }, {}, { documentId: 1, signal: abort.signal.asSignal(), events: { onStarted: () => abort.abort() } });
    await assert.rejects(job, (err: unknown) => err instanceof BridgeError && err.code === 'cancelled');
    assert.deepEqual(sent, ['hello', 'generate', 'cancel']);

    // The panel's Cancel button goes straight to the bridge.
    const direct = c.generate({ mode: 'txt2img', model: 'demo', prompt: 'red', steps: 4, batch: 3, guidance: 1, scheduler: 'euler' }, {}, { documentId: 1, events: { onStarted: () => c.cancelAll() } });
    await assert.rejects(direct, (err: unknown) => err instanceof BridgeError && err.code === 'cancelled');
  });

  test('6: previews are encoded from 8-bit RGB without alpha; the fake refuses RGBA like Adobe\'s sample implies', async () => {
    const { ps } = paintedScene({ depth: 16 });
    const rgba = new Uint8Array(4 * 4 * 4).fill(128);
    const url = await new PhotoshopHost(ps).previewUrl(rgba, 4, 4);
    assert.match(url, /^data:image\/jpeg;base64,/);
    const image = await ps.imaging.createImageDataFromBuffer(rgba, { width: 4, height: 4, components: 4, colorSpace: 'RGB' });
    await assert.rejects(ps.imaging.encodeImageData({ imageData: image, base64: true }), /8-bit RGB without alpha/);
    image.dispose();
    ps.imaging.encodeFailure = new Error('encoder out of memory');
    await assert.rejects(new PhotoshopHost(ps).previewUrl(rgba, 4, 4), /encoder out of memory/, 'failures reach the caller (the panel shows them)');
  });

  test('7: txt2img into a selection over transparent pixels reads no pixels, only the selection', async () => {
    const ps = new FakePhotoshop();
    // No Background layer and nothing painted: getPixels has nothing to return here.
    const doc = ps.createDocument({ width: 96, height: 64 });
    ps.select(doc, { left: 10, top: 8, width: 40, height: 30 }, () => 1);
    await assert.rejects(ps.imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 10, top: 8, right: 50, bottom: 38 } }), /contains no pixels/);
    ps.imaging.getPixelsCalls.length = 0;
    const outcome = await runJob(new PhotoshopHost(ps), client(), { ...settings, mode: 'txt2img' }, 512);
    assert.deepEqual(ps.imaging.getPixelsCalls, [], 'txt2img sends no image, so it reads none');
    assert.equal(outcome.layerIds.length, 1);
    assert.ok(doc.layerState(outcome.layerIds[0] ?? -1).mask, 'the result is masked by the selection');
  });

  test('7: a region larger than what is sent is read at the sent size (targetSize)', async () => {
    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 2400, height: 1200, background: [0.5, 0.25, 0.75] });
    const outcome = await runJob(new PhotoshopHost(ps), client(), { ...settings, mode: 'img2img' }, 512, { maxPixels: 1_000_000 });
    const reads = ps.imaging.getPixelsCalls;
    assert.equal(reads.length, 1);
    assert.deepEqual(reads[0]?.targetSize, { width: 1414, height: 707 }, 'read straight at the size sent');
    assert.equal(doc.layerState(outcome.layerIds[0] ?? -1).box.width, 2400, 'the result still covers the canvas');
  });

  test('8: a 16-bit document gets 16-bit data (0..32768); the fake refuses 8-bit data there', async () => {
    const { ps, doc } = paintedScene({ depth: 16 });
    const eight = await ps.imaging.createImageDataFromBuffer(new Uint8Array(4 * 4).fill(255), { width: 2, height: 2, components: 4, colorSpace: 'RGB', colorProfile: 'sRGB IEC61966-2.1' });
    await ps.core.executeAsModal(async () => {
      const layer = await doc.createPixelLayer({ name: 'x' });
      await assert.rejects(ps.imaging.putPixels({ documentID: doc.id, layerID: layer?.id ?? -1, imageData: eight }), /16-bit image data for a 16-bit document/);
    }, { commandName: 't' });
    eight.dispose();
    const host = new PhotoshopHost(ps);
    const rgba = new Uint8Array(2 * 2 * 4).fill(255);
    rgba.set([255, 128, 0, 255]);
    const [id] = await host.pasteResults(doc.id, { width: 160, height: 120 }, [{ rect: { left: 3, top: 4, width: 2, height: 2 }, rgba, name: 'r', visible: true, mask: null }], 'h');
    const pixels = doc.layerState(id ?? -1).pixels;
    assert.ok(pixels instanceof Uint16Array);
    assert.deepEqual([...pixels.slice(0, 4)], [32768, Math.round((128 * 32768) / 255), 0, 32768]);
  });

  test('8: 32-bit documents are refused in words before anything is read', async () => {
    const ps = new FakePhotoshop();
    ps.createDocument({ width: 64, height: 64, depth: 32, background: [0, 0, 0] });
    await assert.rejects(runJob(new PhotoshopHost(ps), client(), settings, 512), (err: unknown) => err instanceof BridgeError && err.code === 'host_unsupported' && /16 Bits\/Channel/.test(err.message));
    assert.equal(ps.imaging.getPixelsCalls.length, 0);
  });

  test('10: the socket offers a sub-protocol, and falls back to the bare URL if the constructor refuses it', () => {
    const made: unknown[][] = [];
    class Strict {
      constructor(...args: unknown[]) {
        made.push(args);
      }
    }
    socketFactoryFor(Strict as unknown as new (url: string, p?: string | string[]) => SocketLike)('ws://x/ws');
    assert.deepEqual(made, [['ws://x/ws', BRIDGE_SUBPROTOCOL]]);
    made.length = 0;
    class NoProtocols {
      constructor(...args: unknown[]) {
        if (args.length > 1) throw new TypeError('protocols not supported');
        made.push(args);
      }
    }
    socketFactoryFor(NoProtocols as unknown as new (url: string, p?: string | string[]) => SocketLike)('ws://x/ws');
    assert.deepEqual(made, [['ws://x/ws']]);
  });

  test('10: image frames stay at or under 2 MP (8 MiB) whatever the bridge allows', async () => {
    const ps = new FakePhotoshop();
    ps.createDocument({ width: 3000, height: 2000, background: [0.5, 0.5, 0.5] });
    const received: { image?: unknown }[] = [];
    const frames: number[] = [];
    const c = new BridgeClient({
      url: 'ws://fake',
      clientName: 't',
      socketFactory: () => {
        const s = new FakeBridgeSocket({ received: received as never });
        const send = s.send.bind(s);
        s.send = (data) => {
          if (typeof data !== 'string') frames.push(data.byteLength);
          send(data);
        };
        return s;
      },
    });
    await runJob(new PhotoshopHost(ps), c, { ...settings, mode: 'img2img' }, 512, { maxPixels: 16_000_000 });
    assert.equal(frames.length, 1);
    assert.ok((frames[0] ?? Infinity) <= 8 * 1024 * 1024 + 1024, `frame of ${frames[0]} bytes`);
  });

  test('11/12: the entry point does not rely on hide; the manifest has icons; documents without Background and with other profiles work', async () => {
    const main = readFileSync(path.join(photoshopPackageRoot(), 'src', 'main.ts'), 'utf8');
    assert.doesNotMatch(main, /\bhide\s*:/, 'hide never fires in current UXP');
    const manifest = JSON.parse(readFileSync(path.join(photoshopPackageRoot(), 'manifest.json'), 'utf8')) as { icons?: { path: string }[]; entrypoints: { icons?: { path: string }[] }[] };
    const icons = [...(manifest.icons ?? []), ...(manifest.entrypoints[0]?.icons ?? [])];
    assert.ok((manifest.icons?.length ?? 0) > 0 && (manifest.entrypoints[0]?.icons?.length ?? 0) > 0, 'plug-in and panel icons');
    for (const icon of icons) {
      for (const file of [icon.path, icon.path.replace(/\.png$/, '@2x.png')]) {
        const png = readFileSync(path.join(photoshopPackageRoot(), 'static', file));
        assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], file);
      }
    }

    const ps = new FakePhotoshop();
    const doc = ps.createDocument({ width: 80, height: 60, profile: 'Adobe RGB (1998)' });
    ps.addLayer(doc, 'Paint', { left: 5, top: 5, width: 70, height: 50 }, () => [0.2, 0.6, 0.4, 1]);
    ps.select(doc, { left: 10, top: 10, width: 40, height: 30 }, () => 1);
    const outcome = await runJob(new PhotoshopHost(ps), client(), { ...settings, mode: 'inpaint' }, 512);
    assert.equal(outcome.layerIds.length, 1);
    assert.ok(ps.imaging.conversions.includes('Adobe RGB (1998) → sRGB IEC61966-2.1'), 'pixels are asked for in sRGB and converted by Photoshop');
  });
});
