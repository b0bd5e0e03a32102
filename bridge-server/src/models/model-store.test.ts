import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { checkModelName, defaultModelsRoot, ModelStore, modelNameForRepo } from './model-store.js';
import { writeFixtureModel } from './testing/fixture-model.js';

let root = '';
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lb-store-'));
  await writeFixtureModel(path.join(root, 'sd15'));
  await writeFixtureModel(path.join(root, 'Another_model-2.1'));
  await writeFixtureModel(path.join(root, 'broken'));
  await rm(path.join(root, 'broken', 'unet', 'model.onnx'));
  await mkdir(path.join(root, 'not-a-model'));
  await writeFile(path.join(root, 'stray.json'), '{}');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function isCode(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof BridgeError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  };
}

test('entries() and list() show subfolders holding model_index.json', async () => {
  const store = new ModelStore(root);
  assert.deepEqual(await store.entries(), [
    { name: 'Another_model-2.1', dir: path.join(root, 'Another_model-2.1') },
    { name: 'broken', dir: path.join(root, 'broken') },
    { name: 'sd15', dir: path.join(root, 'sd15') },
  ]);
  const list = await store.list();
  assert.deepEqual(
    list.map((m) => [m.name, m.info?.nativeSize, m.problems.map((p) => p.file)]),
    [
      ['Another_model-2.1', 512, []],
      ['broken', undefined, ['unet/model.onnx']],
      ['sd15', 512, []],
    ],
  );
  assert.deepEqual(await new ModelStore(path.join(root, 'nowhere')).list(), []);
});

test('locate() maps names inside the root and refuses anything path-like', async () => {
  const store = new ModelStore(root);
  assert.equal(await store.locate('sd15'), path.join(root, 'sd15'));
  await assert.rejects(store.locate('not-a-model'), isCode('model_not_found'));
  await assert.rejects(store.locate('missing'), isCode('model_not_found'));
  for (const bad of ['..', '../sd15', 'sd15/../sd15', 'a/b', 'a\\b', '/etc', '.hidden', '', 'x'.repeat(200), 'sd15\0']) {
    await assert.rejects(store.locate(bad), (e: unknown) => {
      assert.ok(e instanceof BridgeError);
      assert.equal(e.code, 'invalid_field', bad);
      assert.equal(e.field, 'model');
      return true;
    });
  }
  // The local CLI may name a folder directly.
  const outside = path.join(root, 'sd15');
  assert.equal(await store.locate(outside, { allowPaths: true }), outside);
  assert.equal(await store.locate('sd15', { allowPaths: true }), outside);
  await assert.rejects(store.locate(outside), isCode('invalid_field'));
  const info = await store.resolve('sd15');
  assert.equal(info.name, 'sd15');
  assert.equal(info.dir, outside);
  await assert.rejects(store.resolve('broken'), isCode('model_invalid'));
});

test('names for pulled repos and the name check', () => {
  assert.equal(modelNameForRepo('onnx-community/stable-diffusion-v1-5-ONNX'), 'stable-diffusion-v1-5-ONNX');
  assert.equal(checkModelName('sd-1.5_fp16'), 'sd-1.5_fp16');
  assert.throws(() => checkModelName('a..b'), isCode('invalid_field'));
});

test('default root follows LATENT_BRIDGE_MODELS, then the platform data folder', () => {
  assert.equal(defaultModelsRoot({ LATENT_BRIDGE_MODELS: '/srv/models' }, 'linux', '/home/u'), '/srv/models');
  assert.equal(defaultModelsRoot({ XDG_DATA_HOME: '/data' }, 'linux', '/home/u'), '/data/latent-bridge/models');
  assert.equal(defaultModelsRoot({}, 'linux', '/home/u'), '/home/u/.local/share/latent-bridge/models');
  assert.equal(defaultModelsRoot({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/latent-bridge/models');
  assert.equal(
    defaultModelsRoot({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'),
    'C:\\Users\\u\\AppData\\Local\\latent-bridge\\models',
  );
});
