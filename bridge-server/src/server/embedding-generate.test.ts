/**
 * Embeddings over the protocol, on real bridges and sockets with the small SD 1.x checkpoint and
 * torch-made embedding files (an A1111 .pt in a subfolder, an A1111 .safetensors): the folder
 * listed in the welcome with vector counts, a trigger word changing the image against a bridge
 * without the embedding while a prompt without triggers is untouched, and the parameters naming
 * the embeddings the prompt and negative prompt used (`TI hashes`, the files' sha256).
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ServerMessage } from '@latent-bridge/shared';
import { hashModelFile } from '../checkpoint/index.js';
import { importModel } from '../convert/import-model.js';
import { embeddingFixture } from '../embeddings/testing/embedding-fixtures.js';
import { ModelStore } from '../models/model-store.js';
import { startBridgeServer, type RunningBridge } from './bridge-server.js';
import { Client, terminal } from './testing/frame-client.js';

const work = await mkdtemp(join(tmpdir(), 'lb-emb-server-'));
const bridges: RunningBridge[] = [];
after(async () => {
  for (const b of bridges) await b.close();
  await rm(work, { recursive: true, force: true });
});

test('embeddings listed, triggered by name in both prompts, recorded as TI hashes', async (t) => {
  const fixture = await embeddingFixture(t);
  if (fixture === undefined) return;
  t.after(() => Promise.all([fixture.base.reference.close(), fixture.reference.close()]));
  const models = join(work, 'models');
  await importModel({ source: join(fixture.base.dir, 'model.safetensors'), store: new ModelStore(models), name: 'tiny' });
  const withEmb = join(work, 'embeddings');
  await mkdir(join(withEmb, 'negatives'), { recursive: true });
  await copyFile(join(fixture.dir, 'tri-emb.pt'), join(withEmb, 'tri-emb.pt'));
  await copyFile(join(fixture.dir, 'one-emb.safetensors'), join(withEmb, 'negatives', 'one-emb.safetensors'));
  await writeFile(join(withEmb, 'notes.bin'), 'not a pickle');
  const empty = join(work, 'no-embeddings');
  await mkdir(empty);

  const run = async (c: Client, id: string, prompt: string, negative = ''): Promise<{ end: ServerMessage; image: Uint8Array; parameters: string }> => {
    c.send({ type: 'generate', id, mode: 'txt2img', model: 'tiny', prompt, negative, steps: 2, guidance: 7, scheduler: 'euler', seed: 9, width: 64, height: 64, resultFormat: 'raw-rgba' });
    const end = await c.next(terminal(id));
    const result = c.messages.find((m) => m.type === 'result' && m.id === id);
    return { end, image: c.results.get(id)?.[0] ?? new Uint8Array(), parameters: result?.type === 'result' ? result.parameters : '' };
  };

  const outputs = new Map<string, Awaited<ReturnType<typeof run>>>();
  for (const [label, dir] of [['with', withEmb], ['without', empty]] as const) {
    const bridge = await startBridgeServer({ port: 0, token: null, configDir: join(work, `config-${label}`), modelsDir: models, embeddingsDir: dir, demo: false, threads: 1 });
    bridges.push(bridge);
    const c = await Client.connect(bridge.wsUrl);
    const welcome = c.messages.find((m) => m.type === 'welcome');
    assert.ok(welcome?.type === 'welcome');
    if (label === 'with') assert.deepEqual(welcome.capabilities.embeddings, [{ name: 'one-emb', vectors: 1 }, { name: 'tri-emb', vectors: 3 }], 'subfolders searched; a file that is no embedding left out');
    else assert.deepEqual(welcome.capabilities.embeddings, []);
    outputs.set(`${label}:trigger`, await run(c, 'trigger', 'a photo of tri-emb on a table', 'one-emb'));
    outputs.set(`${label}:plain`, await run(c, 'plain', 'a lighthouse'));
    c.ws.close();
  }
  for (const [key, out] of outputs) {
    assert.equal(out.end.type, 'done', `${key}: ${JSON.stringify(out.end)}`);
    assert.equal(out.image.length, 64 * 64 * 4, key);
  }
  const get = (key: string) => outputs.get(key) ?? { image: new Uint8Array(), parameters: '' };
  assert.notDeepEqual(get('with:trigger').image, get('without:trigger').image, 'the embedding changes the image');
  assert.deepEqual(get('with:plain').image, get('without:plain').image, 'a prompt without trigger words is untouched');
  const tri = (await hashModelFile(join(withEmb, 'tri-emb.pt'))).sha256.slice(0, 12);
  const one = (await hashModelFile(join(withEmb, 'negatives', 'one-emb.safetensors'))).sha256.slice(0, 12);
  assert.ok(get('with:trigger').parameters.includes(`TI hashes: "one-emb: ${one}, tri-emb: ${tri}"`), get('with:trigger').parameters);
  assert.ok(!get('with:plain').parameters.includes('TI hashes'), 'no embedding used, none recorded');
  assert.ok(!get('without:trigger').parameters.includes('TI hashes'));
});
