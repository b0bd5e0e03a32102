/**
 * A1111 clients and the checkpoints folder: a .safetensors file lying there is an A1111 checkpoint
 * (listed unhashed, as A1111 lists a file it has not read), picking it with sd_model_checkpoint
 * imports it once, and images made with it carry its hash as A1111 writes it.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { requireTorch } from '../checkpoint/testing/torch-python.js';
import { checkpointFixtureDir } from '../convert/testing/checkpoint-fixtures.js';
import { startA1111Bridge, type A1111TestBridge } from './testing/a1111-client.js';

let bridge: A1111TestBridge | undefined;
let dir: string | undefined;
after(async () => {
  await bridge?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface SdModel {
  title: string;
  model_name: string;
  hash: string | null;
  sha256: string | null;
  filename: string;
}

test('a checkpoint in the folder is listed, imported when picked, and named with its hash in infotexts', async (t) => {
  if ((await requireTorch(t)) === undefined) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-a1111-ckpt-'));
  // The bridge's default checkpoints folder lies beside its model store.
  await mkdir(path.join(dir, 'checkpoints'), { recursive: true });
  const file = path.join(dir, 'checkpoints', 'tinyOne_v1.safetensors');
  await copyFile(path.join(await checkpointFixtureDir('sd1', 'fp32'), 'model.safetensors'), file);
  bridge = await startA1111Bridge({ dir });

  const listed = (await bridge.get('/sdapi/v1/sd-models')).json as SdModel[];
  const entry = listed.find((m) => m.model_name === 'tinyOne_v1');
  assert.deepEqual(entry, { title: 'tinyOne_v1', model_name: 'tinyOne_v1', hash: null, sha256: null, filename: file, config: null });

  const set = await bridge.post('/sdapi/v1/options', { sd_model_checkpoint: 'tinyOne_v1.safetensors' });
  assert.deepEqual([set.status, set.json], [200, null]);
  const after = (await bridge.get('/sdapi/v1/sd-models')).json as SdModel[];
  const imported = after.filter((m) => m.model_name === 'tinyOne_v1');
  assert.equal(imported.length, 1, 'listed once, as the installed model');
  const hash = imported[0]?.hash ?? '';
  assert.match(hash, /^[0-9a-f]{10}$/);
  assert.equal(imported[0]?.sha256?.slice(0, 10), hash);
  assert.equal(imported[0]?.filename, file, 'A1111 shows the checkpoint file');
  assert.equal(((await bridge.get('/sdapi/v1/options')).json as Record<string, unknown>)['sd_model_checkpoint'], `tinyOne_v1 [${hash}]`);

  const gen = await bridge.post('/sdapi/v1/txt2img', { prompt: 'a red house', steps: 2, width: 64, height: 64, seed: 3 });
  assert.equal(gen.status, 200);
  const infotext = (JSON.parse(gen.json['info'] as string) as { infotexts: string[] }).infotexts[0] ?? '';
  assert.match(infotext, new RegExp(`Model hash: ${hash}, Model: tinyOne_v1,`));
});
