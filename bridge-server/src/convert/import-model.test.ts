/**
 * `importModel` end to end: whole small checkpoints of each family (torch/checkpoint_fixture.py,
 * real key layouts) imported from .safetensors and .ckpt into a model store, every component of the
 * written ONNX folder run in onnxruntime against torch's outputs, the folder read back as a model
 * (family, variant, provenance, defaults), re-imports reused by content hash, and hostile or
 * broken files refused with nothing left in the store.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { runTorchScript } from '../checkpoint/testing/torch-python.js';
import { inspectModel } from '../models/inspect-model.js';
import { ModelStore } from '../models/model-store.js';
import { float32ArrayToFloat16 } from '../numeric/float16.js';
import { OnnxModel, type FeedValue } from '../runtime/index.js';
import { HashCache } from './hash-cache.js';
import { importModel } from './import-model.js';
import { checkpointFixture, type CheckpointCase, type CheckpointFixture } from './testing/checkpoint-fixtures.js';
import { assertClose } from './testing/compare.js';

const work = await mkdtemp(join(tmpdir(), 'lb-import-'));
after(() => rm(work, { recursive: true, force: true }));

async function feedFor(model: OnnxModel, input: string, fixture: CheckpointFixture, key: string): Promise<FeedValue> {
  const ref = fixture.reference;
  const entry = ref.entry(key);
  assert.ok(entry !== undefined, `reference ${key}`);
  const info = model.inputs.find((i) => i.name === input);
  assert.ok(info !== undefined, `${model.label} has an input ${input}`);
  const dims = [...entry.shape];
  if (info.dtype === 'int64') return { data: new BigInt64Array((await ref.readRaw(key)).buffer.slice(0)), dims };
  const values = await ref.readFloat32(key);
  if (info.dtype === 'float16') return { data: float32ArrayToFloat16(values), dims };
  return { data: values, dims };
}

/** Runs one component of the imported folder on the reference inputs and compares every reference output. */
async function checkComponent(t: TestContext, dir: string, component: string, fixture: CheckpointFixture, tolerance: number): Promise<void> {
  const ref = fixture.reference;
  const model = await OnnxModel.open(join(dir, component, 'model.onnx'));
  try {
    const feeds: Record<string, FeedValue> = {};
    for (const key of ref.keys().filter((k) => k.startsWith(`${component}.in.`))) {
      const input = key.slice(`${component}.in.`.length);
      feeds[input] = await feedFor(model, input, fixture, key);
    }
    assert.deepEqual(Object.keys(feeds).sort(), model.inputs.map((i) => i.name).sort(), `${component} inputs`);
    const out = await model.run(feeds);
    const expected = ref.keys().filter((k) => k.startsWith(`${component}.out.`));
    assert.ok(expected.length > 0, `${component} has reference outputs`);
    for (const key of expected) {
      const name = key.slice(`${component}.out.`.length);
      let got = out[name === 'latent_mean' ? 'latent_parameters' : name];
      assert.ok(got !== undefined, `${component} output ${name}`);
      let data = got.data as Float32Array;
      if (name === 'latent_mean') {
        // The encoder's moments: the first half of the channels is the mean.
        const [b = 1, c = 0, h = 0, w = 0] = got.dims;
        const plane = (c / 2) * h * w;
        const mean = new Float32Array(b * plane);
        for (let i = 0; i < b; i++) mean.set(data.subarray(i * 2 * plane, i * 2 * plane + plane), i * plane);
        data = mean;
        got = { ...got, dims: [b, c / 2, h, w] };
      }
      assert.deepEqual(got.dims, ref.entry(key)?.shape, `${component} ${name} dims`);
      const error = assertClose(data, await ref.readFloat32(key), tolerance, `${component} ${name}`);
      t.diagnostic(`${component}.${name}: ${error.toExponential(2)} of max|ref|`);
    }
  } finally {
    await model.release();
  }
}

const COMPONENTS: Record<CheckpointCase, string[]> = {
  sd1: ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'],
  sd2: ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'],
  sdxl: ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder'],
  'sdxl-full-depth': ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder'],
};

interface ImportCase {
  c: CheckpointCase;
  file: 'model.safetensors' | 'model.ckpt';
  stored: 'fp32' | 'fp16';
  dtype: 'fp32' | 'fp16';
  inpaint?: boolean;
}

const CASES: ImportCase[] = [
  { c: 'sd1', file: 'model.safetensors', stored: 'fp32', dtype: 'fp32' },
  { c: 'sd1', file: 'model.ckpt', stored: 'fp32', dtype: 'fp32' },
  { c: 'sd1', file: 'model.safetensors', stored: 'fp32', dtype: 'fp32', inpaint: true },
  { c: 'sd2', file: 'model.safetensors', stored: 'fp32', dtype: 'fp32' },
  { c: 'sd2', file: 'model.ckpt', stored: 'fp16', dtype: 'fp16' },
  { c: 'sdxl', file: 'model.safetensors', stored: 'fp32', dtype: 'fp32' },
  { c: 'sdxl', file: 'model.safetensors', stored: 'fp16', dtype: 'fp16' },
  // SDXL's own depths (transformer depth 10, VAE with two resnets a level): the families bench's model.
  { c: 'sdxl-full-depth', file: 'model.safetensors', stored: 'fp32', dtype: 'fp32' },
];

describe('importModel: whole checkpoints against torch', () => {
  for (const k of CASES) {
    const label = `${k.c}${k.inpaint === true ? ' inpaint' : ''} ${k.stored} ${k.file} -> ${k.dtype}`;
    test(label, async (t) => {
      const fixture = await checkpointFixture(t, k.c, k.stored, k.inpaint === true);
      if (fixture === undefined) return;
      t.after(() => fixture.reference.close());
      const store = new ModelStore(join(work, label.replace(/[^a-z0-9]+/gi, '-')));
      const phases = new Set<string>();
      const result = await importModel({ source: join(fixture.dir, k.file), store, name: 'imported', dtype: k.dtype, onProgress: (p) => phases.add(p.phase) });
      const family = k.c === 'sdxl-full-depth' ? 'sdxl' : k.c;
      assert.equal(result.family, family);
      assert.equal(result.variant, k.inpaint === true ? 'inpaint' : 'base');
      assert.equal(result.reused, false);
      assert.match(result.hash?.shortHash ?? '', /^[0-9a-f]{10}$/);
      assert.deepEqual([...phases], ['write'], 'hashing runs alongside the conversion');

      const info = await inspectModel(result.dir);
      assert.equal(info.family, family);
      assert.equal(info.inpainting, k.inpaint === true);
      assert.equal(info.inChannels, k.inpaint === true ? 9 : 4);
      assert.equal(info.unetDtype, k.dtype === 'fp16' ? 'float16' : 'float32');
      assert.equal(info.provenance?.shortHash, result.hash?.shortHash);
      assert.equal(info.tokenizer2Dir !== undefined, family === 'sdxl');
      assert.equal(info.forceZerosForEmptyPrompt, family === 'sdxl');
      assert.deepEqual((await readdir(store.root)).filter((n) => !n.startsWith('.')), ['imported'], 'only the finished model in the store');

      const tolerance = k.dtype === 'fp16' ? 1e-2 : 1e-4;
      for (const component of COMPONENTS[k.c]) await checkComponent(t, result.dir, component, fixture, tolerance);

      if (k.file === 'model.safetensors' && k.dtype === 'fp32' && k.inpaint !== true && k.c !== 'sdxl-full-depth') {
        const again = await importModel({ source: join(fixture.dir, k.file), store, name: 'other-name', dtype: k.dtype });
        assert.equal(again.reused, true, 'an unchanged file is not converted again');
        assert.equal(again.name, 'imported');
        assert.equal(again.bytesWritten, 0);
        // Without the hash cache the sha256 is only known after converting: the earlier model still wins.
        const uncached = await importModel({ source: join(fixture.dir, k.file), store, name: 'third-name', dtype: k.dtype, hashCache: new HashCache(join(store.root, '.fresh-cache.json')) });
        assert.equal(uncached.reused, true);
        assert.equal(uncached.name, 'imported');
        assert.deepEqual((await readdir(store.root)).filter((n) => !n.startsWith('.')), ['imported'], 'the converted copy was discarded');
      }
    });
  }
});

describe('importModel refuses hostile and broken files, leaving the store as it was', () => {
  test('a .ckpt whose pickle would run os.system', async (t) => {
    const fixture = await checkpointFixture(t, 'sd1', 'fp32');
    if (fixture === undefined) return;
    t.after(() => fixture.reference.close());
    const dir = await mkdtemp(join(work, 'hostile-'));
    const marker = join(dir, 'PWNED');
    await runTorchScript(
      String.raw`
import os, sys, torch
src, out, marker = sys.argv[1], sys.argv[2], sys.argv[3]
class System:
    def __reduce__(self):
        return (os.system, ('touch ' + marker,))
sd = torch.load(src)['state_dict']
torch.save({'state_dict': sd, 'callback': System()}, out)
`,
      [join(fixture.dir, 'model.ckpt'), join(dir, 'hostile.ckpt'), marker],
    );
    const store = new ModelStore(join(dir, 'store'));
    await assert.rejects(importModel({ source: join(dir, 'hostile.ckpt'), store }), (err: unknown) => {
      assert.ok(err instanceof BridgeError);
      assert.equal(err.code, 'checkpoint_unsafe');
      assert.match(err.message, /posix\.system|os\.system/);
      return true;
    });
    assert.equal(existsSync(marker), false, 'nothing from the file ran');
    assert.deepEqual((await readdir(store.root).catch(() => [])).filter((n) => !n.startsWith('.')), []);
  });

  test('a truncated .safetensors', async (t) => {
    const fixture = await checkpointFixture(t, 'sd1', 'fp32');
    if (fixture === undefined) return;
    t.after(() => fixture.reference.close());
    const dir = await mkdtemp(join(work, 'truncated-'));
    const file = join(dir, 'cut.safetensors');
    await copyFile(join(fixture.dir, 'model.safetensors'), file);
    const handle = await open(file, 'r+');
    await handle.truncate(Math.floor((await stat(file)).size * 0.6));
    await handle.close();
    const store = new ModelStore(join(dir, 'store'));
    await assert.rejects(importModel({ source: file, store }), (err: unknown) => {
      assert.ok(err instanceof BridgeError);
      assert.equal(err.code, 'checkpoint_invalid');
      assert.match(err.message, /cut\.safetensors/);
      return true;
    });
    assert.deepEqual((await readdir(store.root).catch(() => [])).filter((n) => !n.startsWith('.')), []);
  });
});
