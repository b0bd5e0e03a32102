// Bundle entry for the UXP panel (see build/bundle.ts): wires the real host, the WebSocket
// client and the panel. Runs only inside Photoshop.
import { BridgeClient } from './client/bridge-client.js';
import { globalSocketFactory } from './client/socket.js';
import { loadHostModules } from './host/load-host.js';
import { PhotoshopHost } from './host/photoshop-host.js';
import { Panel, type KeyValueStore } from './ui/panel.js';

export const PANEL_ID = 'latent-bridge.panel';
const REFRESH_MS = 1500;

const { photoshop, uxp } = loadHostModules();
const store: KeyValueStore = globalThis.localStorage;
const client = new BridgeClient({
  url: store.getItem('latent-bridge.url') ?? 'ws://127.0.0.1:7450/ws',
  token: store.getItem('latent-bridge.token') ?? '',
  clientName: 'photoshop/0.1.0',
  socketFactory: globalSocketFactory(),
});
let panel: Panel | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

function mount(): void {
  const root = document.getElementById('app');
  if (!root) return;
  panel ??= new Panel(root, {
    host: new PhotoshopHost(photoshop),
    client,
    store,
    configureClient: (url, token) => client.configure({ url, token }),
  });
  void panel.refreshDocument();
  timer ??= setInterval(() => void panel?.refreshDocument(), REFRESH_MS);
}

uxp.entrypoints.setup({
  panels: {
    [PANEL_ID]: {
      // Entry point callbacks must return within 300 ms: mount only builds DOM.
      show: () => mount(),
      hide: () => {
        if (timer) clearInterval(timer);
        timer = null;
      },
    },
  },
});
