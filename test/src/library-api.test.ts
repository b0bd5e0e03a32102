/**
 * The library API the README's "Scripting with the library" section documents, imported only from
 * the package entry (`@latent-bridge/bridge-server`), never from dist/ paths.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  animate,
  BridgeError,
  bundledClipTokenizerDir,
  ClipTokenizer,
  createScheduler,
  decodeImage,
  encodePng,
  ensureDemoModels,
  img2img,
  importModel,
  inspectModel,
  LoadedModel,
  ModelStore,
  SCHEDULER_NAMES,
  TorchGenerator,
  txt2img,
} from '@latent-bridge/bridge-server';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-library-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('tokenizer, generator and scheduler factory from the package entry', async () => {
  const tokenizer = await ClipTokenizer.fromFolder(bundledClipTokenizerDir());
  // CLIP's ids: <|startoftext|> a photo of a cat <|endoftext|>, padded with <|endoftext|>.
  const ids = tokenizer.tokenize('a photo of a cat');
  assert.equal(ids.length, 77);
  assert.deepEqual([...ids.slice(0, 8)], [49406, 320, 1125, 539, 320, 2368, 49407, 49407]);
  // torch.manual_seed(0); torch.randn(3) on CPU.
  assert.deepEqual([...new TorchGenerator(0).randn([3])], [1.5409960746765137, -0.293428897857666, -2.1787893772125244]);
  assert.ok(SCHEDULER_NAMES.includes('euler_a'));
  const scheduler = createScheduler('euler_a', {});
  assert.equal(scheduler.className, 'EulerAncestralDiscreteScheduler');
  scheduler.setTimesteps(20);
  assert.equal(scheduler.timesteps.length, 20);
});

test('model store, loading and the pipelines from the package entry', async () => {
  const [demo] = await ensureDemoModels(path.join(dir, 'models'));
  assert.ok(demo);
  const info = await new ModelStore(path.join(dir, 'models')).resolve(demo.name);
  assert.equal(info.dir, (await inspectModel(demo.dir)).dir);
  const model = await LoadedModel.load(info);
  const { images } = await txt2img(model, { prompt: 'red', steps: 2, guidance: 1, scheduler: 'euler_a', seed: 42, width: 64, height: 64 });
  const first = images[0];
  assert.ok(first);
  assert.equal(first.seed, 42);
  const png = await encodePng(first.image);
  const decoded = await decodeImage(png);
  assert.deepEqual([decoded.width, decoded.height], [64, 64]);
  assert.deepEqual(Buffer.from(decoded.data), Buffer.from(first.image.data));
  const again = await img2img(model, { prompt: 'blue', steps: 4, guidance: 1, scheduler: 'euler', seed: 1, strength: 0.5, image: decoded });
  assert.equal(again.images.length, 1);
  const frames = await animate(model, { prompt: 'red', steps: 1, guidance: 1, scheduler: 'euler', seed: 3, width: 64, height: 64, frames: 2, toPrompt: 'blue' });
  assert.equal(frames.frames.length, 2);
});

test('importModel from the package entry refuses a file that is not a checkpoint with a typed error', async () => {
  const store = new ModelStore(path.join(dir, 'store'));
  const source = path.join(dir, 'not-a-model.safetensors');
  await writeFile(source, 'this is not a safetensors file at all');
  const err = await importModel({ source, store }).catch((e: unknown) => e);
  assert.ok(err instanceof BridgeError, String(err));
  assert.equal(err.code, 'checkpoint_invalid');
});
