/**
 * LoadedModel with an optimized-model cache root: each component a job opens gets its own cache
 * folder, and a second load (served from the caches) makes the same image as a load without them.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { inspectModel } from '../models/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { LoadedModel } from './loaded-model.js';
import { txt2img } from './txt2img.js';

const dir = await mkdtemp(join(tmpdir(), 'lb-loaded-cache-'));
after(() => rm(dir, { recursive: true, force: true }));

test('components open through their own optimized-model caches and generate the same image', async () => {
  await makeTestModel('tiny-random', join(dir, 'tiny'), {});
  const info = await inspectModel(join(dir, 'tiny'));
  const cacheRoot = join(dir, 'cache');
  const request = { prompt: 'a lighthouse', negative: 'fog', steps: 3, width: 64, height: 64, seed: 5, scheduler: 'euler' };
  const image = async (options: Parameters<typeof LoadedModel.load>[1]): Promise<Uint8Array> => {
    const model = await LoadedModel.load(info, options);
    try {
      const data = (await txt2img(model, request)).images[0]?.image.data;
      assert.ok(data !== undefined);
      return data;
    } finally {
      await model.release();
    }
  };
  const plain = await image({});
  const first = await image({ optimizedCacheDir: cacheRoot });
  const folders = (await readdir(cacheRoot)).sort();
  assert.deepEqual(folders.map((f) => f.replace(/-[0-9a-f]{16}$/, '')), ['text_encoder', 'unet', 'vae_decoder']);
  for (const f of folders) assert.ok(existsSync(join(cacheRoot, f, 'key.json')), `${f} cache complete`);
  const cached = await image({ optimizedCacheDir: cacheRoot });
  assert.deepEqual(first, plain);
  assert.deepEqual(cached, plain);
});
