import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { ModelStore } from '../models/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { writeRandomTaesdDecoder } from '../testmodels/taesd.js';
import { modelsCommand } from './models-command.js';
import { addTaesd } from './taesd-command.js';

let dir: string;
let store: ModelStore;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-add-taesd-'));
  store = new ModelStore(path.join(dir, 'store'));
  await makeTestModel('tiny-random', path.join(dir, 'store', 'tiny'));
  await writeRandomTaesdDecoder(path.join(dir, 'taesd_decoder.safetensors'), 1);
  await copyFile(path.join(dir, 'taesd_decoder.safetensors'), path.join(dir, 'taesdxl_decoder.safetensors'));
  await copyFile(path.join(dir, 'taesd_decoder.safetensors'), path.join(dir, 'weights.safetensors'));
});
after(() => rm(dir, { recursive: true, force: true }));

const isField = (field: string) => (e: unknown) => e instanceof BridgeError && e.field === field;

test('add-taesd --model installs into the model folder; a variant for another latent space is refused', async () => {
  await assert.rejects(addTaesd(store, path.join(dir, 'taesdxl_decoder.safetensors'), 'tiny', undefined), isField('variant'));
  await assert.rejects(addTaesd(store, path.join(dir, 'taesd_decoder.safetensors'), 'tiny', 'taesdxl'), isField('variant'));
  const r = await addTaesd(store, path.join(dir, 'weights.safetensors'), 'tiny', undefined);
  assert.equal(r.variant, 'taesd');
  assert.ok((await stat(path.join(dir, 'store', 'tiny', 'taesd_decoder', 'model.onnx'))).isFile());
  // The tiny model is still a valid model with the extra folder.
  assert.deepEqual((await store.list()).map((m) => m.name), ['tiny']);
});

test('add-taesd without --model installs for the latent space, named by --variant or the file name', async () => {
  await assert.rejects(addTaesd(store, path.join(dir, 'weights.safetensors'), undefined, undefined), isField('variant'));
  await assert.rejects(addTaesd(store, path.join(dir, 'weights.safetensors'), undefined, 'sd3'), isField('variant'));
  const prev = process.env['LATENT_BRIDGE_MODELS'];
  process.env['LATENT_BRIDGE_MODELS'] = store.root;
  try {
    await modelsCommand(['add-taesd', path.join(dir, 'taesdxl_decoder.safetensors')]);
  } finally {
    if (prev === undefined) delete process.env['LATENT_BRIDGE_MODELS'];
    else process.env['LATENT_BRIDGE_MODELS'] = prev;
  }
  assert.ok((await stat(path.join(store.root, '.previews', 'taesdxl', 'model.onnx'))).isFile());
});
