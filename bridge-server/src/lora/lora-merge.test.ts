/**
 * LoRA merging against torch: kohya LoCon (CompVis paths, fp16, every Linear and Conv2d incl. 3×3
 * convs and the time embedding), kohya LoRA (diffusers paths), the same adapter as PEFT, and a
 * file without alphas, on the small SD 1.x, SD 2.x and SDXL checkpoints (SD 2.x: the OpenCLIP
 * encoder's packed in_proj, its dropped last layer; SDXL: kohya's CompVis UNet paths,
 * lora_te1_/lora_te2_, the second encoder's q/k/v inside OpenCLIP's packed in_proj); the UNet and
 * text-encoder outputs of the
 * merged ONNX models compared with torch's outputs of the model merged by kohya's formula.
 * Run-time merging (patched copies of an installed model) and baking into an import agree.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { importModel } from '../convert/import-model.js';
import { assertClose, relativeError } from '../convert/testing/compare.js';
import { ModelStore } from '../models/model-store.js';
import { bakeLoras } from './bake.js';
import { closeLoras, openLoras, type LoraUse } from './lora-set.js';
import { OnnxModel } from '../runtime/index.js';
import { KEPT_COPIES, mergeLoraSet } from './runtime-merge.js';
import { loraFixture, runComponent, type LoraFixture } from './testing/lora-fixtures.js';

const work = await mkdtemp(join(tmpdir(), 'lb-lora-'));
after(() => rm(work, { recursive: true, force: true }));

const TOLERANCE = 1e-4;
type Family = 'sd1' | 'sd2' | 'sdxl';
type Component = 'unet' | 'text_encoder' | 'text_encoder_2';
const OUTPUTS: Record<Family, ReadonlyArray<readonly [Component, string]>> = {
  sd1: [['unet', 'out_sample'], ['text_encoder', 'last_hidden_state']],
  sd2: [['unet', 'out_sample'], ['text_encoder', 'last_hidden_state']],
  sdxl: [['unet', 'out_sample'], ['text_encoder', 'last_hidden_state'], ['text_encoder_2', 'last_hidden_state'], ['text_encoder_2', 'text_embeds']],
};

interface Installed {
  family: Family;
  fixture: LoraFixture;
  dir: string;
}

const installed = new Map<Family, Promise<Installed | undefined>>();

/** Each family's fixture imported once (fp32) for all tests. */
function base(t: TestContext, family: Family): Promise<Installed | undefined> {
  let made = installed.get(family);
  if (made === undefined) {
    made = (async () => {
      const fixture = await loraFixture(t, family);
      if (fixture === undefined) return undefined;
      const store = new ModelStore(join(work, `store-${family}`));
      const result = await importModel({ source: join(fixture.base.dir, 'model.safetensors'), store, name: 'base' });
      return { family, fixture, dir: result.dir };
    })();
    installed.set(family, made);
  }
  return made;
}

function uses(fixture: LoraFixture, parts: ReadonlyArray<readonly [string, number]>): LoraUse[] {
  return parts.map(([name, weight]) => ({ file: join(fixture.dir, `${name}.safetensors`), weight, label: name }));
}

/** Every output of the family's components vs torch's `<refCase>.…`; returns them by "component.output". */
async function compare(t: TestContext, b: Installed, files: Partial<Record<Component, string>>, refCase: string): Promise<Map<string, Float32Array>> {
  const outputs = new Map<string, Float32Array>();
  for (const [component, output] of OUTPUTS[b.family]) {
    const got = await runComponent(files[component] ?? '', component, b.fixture.reference, output);
    const expected = await b.fixture.reference.readFloat32(`${refCase}.${component}.out.${output}`);
    const error = assertClose(got, expected, TOLERANCE, `${refCase} ${component}.${output}`);
    t.diagnostic(`${refCase} ${component}.${output}: ${error.toExponential(2)} of max|ref|`);
    outputs.set(`${component}.${output}`, got);
  }
  return outputs;
}

function componentFiles(b: Installed, dir = b.dir): Record<Component, string> {
  const files = { unet: join(dir, 'unet', 'model.onnx'), text_encoder: join(dir, 'text_encoder', 'model.onnx') } as Record<Component, string>;
  if (b.family === 'sdxl') files.text_encoder_2 = join(dir, 'text_encoder_2', 'model.onnx');
  return files;
}

const RUNTIME_CASES: ReadonlyArray<[string, ReadonlyArray<readonly [string, number]>]> = [
  ['a1', [['a', 1.0]]],
  ['a05', [['a', 0.5]]],
  ['stack', [['a', 1.0], ['b', -0.7]]],
  ['b08', [['b', 0.8]]],
  ['b08', [['b-peft', 0.8]]],
  ['c1', [['c', 1.0]]],
];

for (const family of ['sd1', 'sd2', 'sdxl'] as const) {
  describe(`LoRA merged at run time vs torch (${family})`, () => {
  for (const [refCase, parts] of RUNTIME_CASES) {
    test(`${parts.map(([n, w]) => `${n}@${w}`).join(' + ')} = torch ${refCase}`, async (t) => {
      const b = await base(t, family);
      if (b === undefined) return;
      const plain = componentFiles(b);
      const merged = await mergeLoraSet(plain, uses(b.fixture, parts));
      for (const component of Object.keys(plain) as Component[]) assert.notEqual(merged.files[component], plain[component], `${component} is a merged copy`);
      await compare(t, b, merged.files, refCase);
      if (parts[0]?.[0] === 'c') {
        assert.ok(merged.warnings.some((w) => w.includes('lora_unet_not_a_module_0')), `the stray module is named: ${merged.warnings.join(' | ')}`);
      } else {
        assert.deepEqual(merged.warnings, []);
      }
    });
  }

  test('the base model is untouched and outputs differ from it', async (t) => {
    const b = await base(t, family);
    if (b === undefined) return;
    const plain = await runComponent(componentFiles(b).unet, 'unet', b.fixture.reference, 'out_sample');
    const merged = await b.fixture.reference.readFloat32('a1.unet.out.out_sample');
    assert.ok(relativeError(plain, merged) > 1e-2, 'LoRA a changes the UNet output noticeably');
  });

  test('the same set again reuses its merged copies without writing', async (t) => {
    const b = await base(t, family);
    if (b === undefined) return;
    const set = uses(b.fixture, [['a', 0.5]]);
    const first = await mergeLoraSet(componentFiles(b), set);
    const before = await stat(first.files.unet ?? '');
    const again = await mergeLoraSet(componentFiles(b), set);
    assert.deepEqual(again.files, first.files);
    assert.equal(again.key, first.key);
    assert.equal((await stat(again.files.unet ?? '')).mtimeMs, before.mtimeMs, 'not rewritten');
    const other = await mergeLoraSet(componentFiles(b), uses(b.fixture, [['a', 0.25]]));
    assert.notEqual(other.key, first.key, 'another strength is another set');
  });

  if (family === 'sd1') {
    test('old merged copies are pruned, except one a loaded model may still reopen', async (t) => {
      const b = await base(t, family);
      if (b === undefined) return;
      const exists = async (file: string) => (await stat(file).catch(() => undefined)) !== undefined;
      const merge = (weight: number) => mergeLoraSet(componentFiles(b), uses(b.fixture, [['b', weight]]));
      const held = await merge(0.11);
      const dropped = await merge(0.12);
      const model = await OnnxModel.open(held.files.unet ?? '', { threads: 1 });
      for (let i = 0; i < KEPT_COPIES + 1; i++) await merge(0.2 + i / 100);
      assert.equal(await exists(dropped.files.unet ?? ''), false, 'an old copy nobody holds is removed');
      assert.equal(await exists(held.files.unet ?? ''), true, 'the copy an open model may reopen stays');
      await model.evict();
      await model.warm();
      await model.release();
      await merge(0.3);
      assert.equal(await exists(held.files.unet ?? ''), false, 'once released, it is pruned like the rest');
    });
  }
  });
}

describe('LoRA baked into an import', () => {
  for (const family of ['sd1', 'sd2', 'sdxl'] as const) test(`${family}: stack baked = torch = run-time merge`, async (t) => {
    const b = await base(t, family);
    if (b === undefined) return;
    const set = uses(b.fixture, [['a', 1.0], ['b', -0.7]]);
    const opened = await openLoras(set);
    t.after(() => closeLoras(opened));
    const store = new ModelStore(join(work, `baked-${family}`));
    const baked = await importModel({ source: join(b.fixture.base.dir, 'model.safetensors'), store, name: 'baked', transformInputs: bakeLoras(opened) });
    const bakedOut = await compare(t, b, componentFiles(b, baked.dir), 'stack');
    const runtime = await mergeLoraSet(componentFiles(b), set);
    for (const [component, output] of OUTPUTS[family]) {
      const live = await runComponent(runtime.files[component] ?? '', component, b.fixture.reference, output);
      const error = relativeError(live, bakedOut.get(`${component}.${output}`) ?? new Float32Array());
      t.diagnostic(`runtime vs baked ${component}.${output}: ${error.toExponential(2)}`);
      assert.ok(error <= 1e-6, `run-time and baked ${component}.${output} agree (${error})`);
    }
  });
});

describe('LoRA on an fp16 model', () => {
  test('sd1 fp16: run-time merge and bake both match torch (fp16 tolerance) and each other', async (t) => {
    const b = await base(t, 'sd1');
    if (b === undefined) return;
    const store = new ModelStore(join(work, 'fp16'));
    const plain = await importModel({ source: join(b.fixture.base.dir, 'model.safetensors'), store, name: 'plain16', dtype: 'fp16' });
    const half: Installed = { ...b, dir: plain.dir };
    const set = uses(b.fixture, [['a', 1.0], ['b', -0.7]]);
    const runtime = await mergeLoraSet(componentFiles(half), set);
    const opened = await openLoras(set);
    t.after(() => closeLoras(opened));
    const baked = await importModel({ source: join(b.fixture.base.dir, 'model.safetensors'), store, name: 'baked16', dtype: 'fp16', transformInputs: bakeLoras(opened) });
    for (const [component, output] of OUTPUTS.sd1) {
      const expected = await b.fixture.reference.readFloat32(`stack.${component}.out.${output}`);
      const live = await runComponent(runtime.files[component] ?? '', component, b.fixture.reference, output);
      const bakedOut = await runComponent(componentFiles(half, baked.dir)[component], component, b.fixture.reference, output);
      const e1 = assertClose(live, expected, 1e-2, `fp16 runtime ${component}`);
      const e2 = assertClose(bakedOut, expected, 1e-2, `fp16 baked ${component}`);
      const e3 = assertClose(live, bakedOut, 5e-3, `fp16 runtime vs baked ${component}`);
      t.diagnostic(`fp16 ${component}.${output}: runtime ${e1.toExponential(2)}, baked ${e2.toExponential(2)}, runtime vs baked ${e3.toExponential(2)}`);
    }
  });
});
