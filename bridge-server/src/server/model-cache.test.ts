import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import type { LoadedModel } from '../pipeline/loaded-model.js';
import { ModelCache, type ModelLoader } from './model-cache.js';

function info(name: string, sizeBytes: number, unet = 'model.onnx'): ModelInfo {
  const dir = `/models/${name}`;
  const components = { unet: `${dir}/unet/${unet}`, textEncoder: `${dir}/text_encoder/model.onnx`, textEncoder2: undefined, vaeDecoder: `${dir}/vae_decoder/model.onnx`, vaeEncoder: undefined };
  return { name, dir, sizeBytes, components } as ModelInfo;
}

/** A loader that records loads and releases; models are plain tokens standing in for LoadedModel. */
function recordingLoader(fail: ReadonlySet<string> = new Set()) {
  const loads: string[] = [];
  const releases: string[] = [];
  const settles: string[] = [];
  const loader: ModelLoader = async (i) => {
    loads.push(i.name);
    if (fail.has(i.name)) throw new Error(`cannot open ${i.name}`);
    return { info: i, release: async () => void releases.push(i.name), settle: async () => void settles.push(i.name) } as unknown as LoadedModel;
  };
  return { loads, releases, settles, loader };
}

test('a model settles (hands back what its decodes left) when its last concurrent job ends', async () => {
  const { settles, loader } = recordingLoader();
  const cache = new ModelCache(100, {}, loader);
  const a = info('a', 60);
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  const long = cache.with(a, () => held);
  await cache.with(a, async () => undefined);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(settles, [], 'another job still uses it');
  release();
  await long;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(settles, ['a']);
  await cache.clear();
});

test('models are reused across jobs and the least recently used idle one is evicted for the budget', async () => {
  const { loads, releases, loader } = recordingLoader();
  const cache = new ModelCache(100, {}, loader);
  const a = info('a', 60);
  const b = info('b', 30);
  const c = info('c', 40);
  await cache.with(a, async () => undefined);
  await cache.with(b, async () => undefined);
  await cache.with(a, async () => undefined);
  assert.deepEqual(loads, ['a', 'b']);
  assert.deepEqual(cache.loadedNames, ['b', 'a']);
  // a (60) + b (30) + c (40) > 100: b was used least recently and goes first; that is enough.
  await cache.with(c, async () => undefined);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(releases, ['b']);
  assert.deepEqual(cache.loadedNames.sort(), ['a', 'c']);
  assert.equal(cache.usedBytes, 100);
  await cache.clear();
  assert.deepEqual(releases.sort(), ['a', 'b', 'c']);
  assert.equal(cache.usedBytes, 0);
});

test('a model in use is never evicted; one over the budget still loads', async () => {
  const { releases, loader } = recordingLoader();
  const cache = new ModelCache(50, {}, loader);
  await cache.with(info('a', 40), async () => {
    await cache.with(info('big', 80), async () => undefined);
    assert.deepEqual(releases, []);
  });
  assert.deepEqual(cache.loadedNames.sort(), ['a', 'big']);
});

test('a failed load is a catalogued error on field model, and the next job tries again', async () => {
  const failing = new Set(['x']);
  const { loads, loader } = recordingLoader(failing);
  const cache = new ModelCache(100, {}, loader);
  await assert.rejects(
    cache.with(info('x', 10), async () => 'never'),
    (e: unknown) => e instanceof BridgeError && e.code === 'model_load_failed' && e.field === 'model' && /"x"/.test(e.message),
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(cache.has(info('x', 10)), false);
  failing.delete('x');
  assert.equal(await cache.with(info('x', 10), async () => 'ok'), 'ok');
  assert.deepEqual(loads, ['x', 'x']);
});

test('a model with LoRAs merged (other component files) is its own entry; the same files share one', async () => {
  const { loads, loader } = recordingLoader();
  const cache = new ModelCache(1000, {}, loader);
  await cache.with(info('a', 10), async () => undefined);
  await cache.with(info('a', 10, 'model.lora-1234.onnx'), async () => undefined);
  await cache.with(info('a', 10, 'model.lora-1234.onnx'), async () => undefined);
  assert.deepEqual(loads, ['a', 'a']);
  assert.equal(cache.has(info('a', 10, 'model.lora-1234.onnx')), true);
  assert.equal(cache.has(info('a', 10, 'model.lora-9999.onnx')), false);
});
