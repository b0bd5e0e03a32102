// Browser entry for the model-aware panel test (ui/panel-models.test.ts): the real panel in a
// page stripped to what UXP 7 has, on the fake photoshop module and a wave-2 bridge in memory.
// What happened is written to data- attributes of <body> for the test to read.
import type { GenerateMessage } from '@latent-bridge/shared';
import { BridgeClient } from '../client/bridge-client.js';
import { FakeBridgeSocket, familiesWelcome } from '../fake/fake-bridge-socket.js';
import { paintedScene } from '../fake/scenes.js';
import { makeUxpLike } from '../fake/uxp-dom.js';
import { PhotoshopHost } from '../host/photoshop-host.js';
import { Panel } from './panel.js';
import { defineSpectrumFallbacks } from './spectrum-fallback.js';
import { byId, pickerValue, setPickerValue, setText, textOf } from './widgets.js';

async function run(): Promise<void> {
  makeUxpLike(window);
  defineSpectrumFallbacks(document);
  const { ps } = paintedScene({ depth: 8, select: false });
  const received: GenerateMessage[] = [];
  const client = new BridgeClient({ url: 'ws://127.0.0.1:7450/ws', clientName: 'photoshop/models', socketFactory: () => new FakeBridgeSocket({ welcome: familiesWelcome(), received }) });
  const root = document.getElementById('app');
  if (!root) throw new Error('no #app');
  const store = new Map<string, string>();
  const panel = new Panel(root, {
    host: new PhotoshopHost(ps),
    client,
    store: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) },
    secrets: { get: async () => null, set: async () => undefined },
    configureClient: () => undefined,
  });
  await panel.connect();
  const body = document.body.dataset;
  const labels = [...root.querySelectorAll('#model sp-menu-item')].map((i) => i.textContent ?? '');
  body['modelLabels'] = labels.join('|');

  // The user picks the SDXL model: its defaults fill the fields.
  const model = byId(root, 'model');
  setPickerValue(model, 'sdxl-base');
  model.dispatchEvent(new Event('change'));
  await new Promise((r) => setTimeout(r, 20));
  const values = (ids: string[]) => ids.map((id) => (id === 'scheduler' ? pickerValue(byId(root, id)) : textOf(byId(root, id)))).join(',');
  body['sdxlFields'] = values(['steps', 'guidance', 'scheduler', 'custom-width', 'custom-height']);
  body['modelInfo'] = byId(root, 'model-info').textContent ?? '';
  body['loraChoices'] = [...root.querySelectorAll('#lora-pick sp-menu-item')].map((i) => i.getAttribute('value')).join('|');
  body['embeddingChoices'] = [...root.querySelectorAll('#embedding-pick sp-menu-item')].map((i) => i.getAttribute('value')).join('|');

  // A LoRA with a weight, an embedding in the negative prompt, then a job.
  setPickerValue(byId(root, 'lora-pick'), 'xl-detail');
  setText(byId(root, 'lora-weight'), '0.6');
  byId(root, 'lora-add').click();
  setPickerValue(byId(root, 'embedding-pick'), 'xl-neg');
  setText(byId(root, 'negative'), 'blurry');
  byId(root, 'embedding-negative').click();
  setText(byId(root, 'prompt'), 'a lighthouse');
  await panel.generate();
  const sent = received[0];
  body['generate'] = sent ? JSON.stringify({ model: sent.model, loras: sent.loras, negative: sent.negative, steps: sent.steps, guidance: sent.guidance, scheduler: sent.scheduler, width: sent.width, height: sent.height }) : 'none';
  body['loraRows'] = String(root.querySelectorAll('.lora-row').length);

  // Import a checkpoint: progress shows, the new model is listed and picked with its defaults.
  setPickerValue(byId(root, 'checkpoint-pick'), 'dreamy-v2.safetensors');
  setText(byId(root, 'import-name'), 'dreamy');
  await panel.models.importCheckpoint();
  body['importState'] = byId(root, 'import-state').textContent ?? '';
  body['afterImport'] = `${pickerValue(model)},${values(['steps', 'guidance', 'scheduler', 'custom-width', 'custom-height'])}`;
  body['checkpointLabels'] = [...root.querySelectorAll('#checkpoint-pick sp-menu-item')].map((i) => i.textContent ?? '').join('|');
  body['errorHidden'] = String(byId(root, 'error-area').hidden);
  body['ready'] = 'yes';
}

run().catch((err: unknown) => {
  document.body.textContent = `models page failed: ${err instanceof Error ? err.stack : String(err)}`;
});
