// Browser entry for the panel screenshot (build/screenshot.ts): the real panel and adapter on
// the fake photoshop module, a bridge answered in memory, the Spectrum stand-ins.
import { BridgeClient } from '../client/bridge-client.js';
import { FakeBridgeSocket } from '../fake/fake-bridge-socket.js';
import { paintedScene } from '../fake/scenes.js';
import { PhotoshopHost } from '../host/photoshop-host.js';
import { Panel } from './panel.js';
import { makeUxpLike } from '../fake/uxp-dom.js';
import { defineSpectrumFallbacks } from './spectrum-fallback.js';
import { byId, setText, textOf } from './widgets.js';

async function render(): Promise<void> {
  // The panel runs without the DOM APIs UXP 7 lacks (toggleAttribute, replaceChildren, events on AbortSignal).
  makeUxpLike(window);
  defineSpectrumFallbacks(document);
  const { ps } = paintedScene({ depth: 16 });
  const store = new Map<string, string>([
    // A 0.1 panel kept the token here; it must move to secure storage.
    ['latent-bridge.token', 'a1b2c3d4e5'],
    // An animation job: the panel's newest section is open, and the strip shows its frames.
    ['latent-bridge.settings', JSON.stringify({
      prompt: 'red brick wall, weathered, afternoon light', negative: 'blurry, text', batch: 1, steps: 20, guidance: 7, seed: 1234,
      model: 'demo', scheduler: 'euler_a', variationSeed: 98765, variationStrength: 0.25, jobKind: 'animation', animationFrames: 4,
      animationToPrompt: 'blue brick wall at night', animationToSeed: 1234, animationChain: 0.35,
    })],
  ]);
  const secrets = new Map<string, string>();
  const client = new BridgeClient({ url: 'ws://127.0.0.1:7450/ws', token: 'a1b2c3d4e5', clientName: 'photoshop/screenshot', socketFactory: () => new FakeBridgeSocket() });
  const root = document.getElementById('app');
  if (!root) throw new Error('no #app');
  const panel = new Panel(root, {
    host: new PhotoshopHost(ps),
    client,
    store: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v), removeItem: (k) => void store.delete(k) },
    secrets: { get: async (k) => secrets.get(k) ?? null, set: async (k, v) => void secrets.set(k, v) },
    configureClient: () => undefined,
  });
  await panel.connect();
  await panel.refreshDocument();
  // A finished job fills the results strip; then show the look of the next one half-way.
  await panel.generate();
  // "More like this" on the second frame: its seed becomes the main seed, with a new variation
  // seed. Recorded for the test, then the fields are put back so the picture stays the same.
  root.querySelectorAll<HTMLElement>('#results img')[1]?.click();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await panel.moreLikeThis();
  document.body.dataset['moreLikeThis'] = `${textOf(byId(root, 'seed'))},${textOf(byId(root, 'variation-seed'))}`;
  setText(byId(root, 'variation-seed'), '98765');
  setText(byId(root, 'seed'), '1234');
  panel.setRunning(true);
  panel.setProgress(12, 20);
  const w = 96;
  const h = 72;
  const preview = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) preview.set([150 + (x % 40), 60 + (y % 30), 60, 255], (y * w + x) * 4);
  await panel.showPreview(preview, w, h);
  document.body.dataset['tokenPlace'] = `${store.has('latent-bridge.token') ? 'localStorage' : 'gone'},${secrets.get('latent-bridge.token') ?? 'none'}`;
  // A seed above sp-textfield type="number"'s cap reads back whole.
  setText(byId(root, 'seed'), '4294967295');
  document.body.dataset['bigSeed'] = String(panel.settings().seed);
  setText(byId(root, 'seed'), '1234');
  document.body.dataset['ready'] = 'yes';
}

render().catch((err: unknown) => {
  document.body.textContent = `screenshot page failed: ${err instanceof Error ? err.stack : String(err)}`;
});
