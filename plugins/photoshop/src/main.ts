// Bundle entry for the UXP panel (see build/bundle.ts): wires the real host, the WebSocket
// client and the panel. Runs only inside Photoshop.
import { BridgeClient } from './client/bridge-client.js';
import { globalSocketFactory } from './client/socket.js';
import { loadHostModules } from './host/load-host.js';
import { PhotoshopHost } from './host/photoshop-host.js';
import { uxpSecretStore } from './host/secure-store.js';
import { Panel, type KeyValueStore } from './ui/panel.js';

export const PANEL_ID = 'latent-bridge.panel';
const REFRESH_MS = 1500;

const { photoshop, uxp } = loadHostModules();
const store: KeyValueStore = globalThis.localStorage;
const client = new BridgeClient({
  url: store.getItem('latent-bridge.url') ?? 'ws://127.0.0.1:7450/ws',
  // The token comes from secure storage once the panel has read it (Panel.ready).
  token: '',
  clientName: 'photoshop/0.1.0',
  socketFactory: globalSocketFactory(),
});
let panel: Panel | null = null;

/**
 * Builds the panel once. Called from both `create` and `show`: which of them fires, and how
 * often, differs between UXP versions, and `hide` never fires in current ones, so nothing here
 * depends on hide. The document hint refreshes on a slow timer that runs for the panel's life
 * (one cheap DOM read) and at once when the pointer enters the panel.
 */
function mount(): void {
  if (panel) return;
  const root = document.getElementById('app');
  if (!root) return;
  const created = new Panel(root, {
    host: new PhotoshopHost(photoshop),
    client,
    store,
    secrets: uxpSecretStore(uxp),
    configureClient: (url, token) => client.configure({ url, token }),
  });
  panel = created;
  void created.refreshDocument();
  setInterval(() => void created.refreshDocument(), REFRESH_MS);
  root.addEventListener('mouseenter', () => void created.refreshDocument());
}

uxp.entrypoints.setup({
  panels: {
    [PANEL_ID]: {
      // Entry point callbacks must return within 300 ms: mount only builds DOM.
      create: () => mount(),
      show: () => mount(),
    },
  },
});
