/**
 * LoRA merging against torch: kohya LoCon (CompVis paths, fp16, every Linear and Conv2d incl. 3×3
 * convs and the time embedding), kohya LoRA (diffusers paths), the same adapter as PEFT, and a
 * file without alphas, on the small SD 1.x checkpoint; the UNet and text-encoder outputs of the
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
import { mergeLoraSet } from './runtime-merge.js';
import { loraFixture, runComponent, type LoraFixture } from './testing/lora-fixtures.js';

const work = await mkdtemp(join(tmpdir(), 'lb-lora-'));
after(() => rm(work, { recursive: true, force: true }));

const TOLERANCE = 1e-4;
const OUTPUTS = { unet: 'out_sample', text_encoder: 'last_hidden_state' } as const;

let installed: Promise<{ fixture: LoraFixture; dir: string } | undefined> | undefined;

/** The SD 1.x fixture imported once (fp32) for all tests. */
function base(t: TestContext): Promise<{ fixture: LoraFixture; dir: string } | undefined> {
  installed ??= (async () => {
    const fixture = await loraFixture(t, 'sd1');
    if (fixture === undefined) return undefined;
    const store = new ModelStore(join(work, 'store'));
    const result = await importModel({ source: join(fixture.base.dir, 'model.safetensors'), store, name: 'base' });
    return { fixture, dir: result.dir };
  })();
  return installed;
}

function uses(fixture: LoraFixture, parts: ReadonlyArray<readonly [string, number]>): LoraUse[] {
  return parts.map(([name, weight]) => ({ file: join(fixture.dir, `${name}.safetensors`), weight, label: name }));
}

async function compare(t: TestContext, fixture: LoraFixture, files: Record<keyof typeof OUTPUTS, string>, refCase: string): Promise<Record<string, Float32Array>> {
  const outputs: Record<string, Float32Array> = {};
  for (const [component, output] of Object.entries(OUTPUTS) as Array<[keyof typeof OUTPUTS, string]>) {
    const got = await runComponent(files[component], component, fixture.reference, output);
    const expected = await fixture.reference.readFloat32(`${refCase}.${component}.out.${output}`);
    const error = assertClose(got, expected, TOLERANCE, `${refCase} ${component}`);
    t.diagnostic(`${refCase} ${component}: ${error.toExponential(2)} of max|ref|`);
    outputs[component] = got;
  }
  return outputs;
}

function componentFiles(dir: string): Record<keyof typeof OUTPUTS, string> {
  return { unet: join(dir, 'unet', 'model.onnx'), text_encoder: join(dir, 'text_encoder', 'model.onnx') };
}

const RUNTIME_CASES: ReadonlyArray<[string, ReadonlyArray<readonly [string, number]>]> = [
  ['a1', [['a', 1.0]]],
  ['a05', [['a', 0.5]]],
  ['stack', [['a', 1.0], ['b', -0.7]]],
  ['b08', [['b', 0.8]]],
  ['b08', [['b-peft', 0.8]]],
  ['c1', [['c', 1.0]]],
];

describe('LoRA merged at run time vs torch (SD 1.x)', () => {
  for (const [refCase, parts] of RUNTIME_CASES) {
    test(`${parts.map(([n, w]) => `${n}@${w}`).join(' + ')} = torch ${refCase}`, async (t) => {
      const b = await base(t);
      if (b === undefined) return;
      const merged = await mergeLoraSet(componentFiles(b.dir), uses(b.fixture, parts));
      assert.notEqual(merged.files.unet, componentFiles(b.dir).unet, 'the UNet is a merged copy');
      assert.notEqual(merged.files.text_encoder, componentFiles(b.dir).text_encoder, 'the text encoder is a merged copy');
      await compare(t, b.fixture, { unet: merged.files.unet ?? '', text_encoder: merged.files.text_encoder ?? '' }, refCase);
      if (parts[0]?.[0] === 'c') {
        assert.ok(merged.warnings.some((w) => w.includes('lora_unet_not_a_module_0')), `the stray module is named: ${merged.warnings.join(' | ')}`);
      } else {
        assert.deepEqual(merged.warnings, []);
      }
    });
  }

  test('the base model is untouched and outputs differ from it', async (t) => {
    const b = await base(t);
    if (b === undefined) return;
    const plain = await runComponent(componentFiles(b.dir).unet, 'unet', b.fixture.reference, 'out_sample');
    const merged = await b.fixture.reference.readFloat32('a1.unet.out.out_sample');
    assert.ok(relativeError(plain, merged) > 1e-2, 'LoRA a changes the UNet output noticeably');
  });

  test('the same set again reuses its merged copies without writing', async (t) => {
    const b = await base(t);
    if (b === undefined) return;
    const set = uses(b.fixture, [['a', 0.5]]);
    const first = await mergeLoraSet(componentFiles(b.dir), set);
    const before = await stat(first.files.unet ?? '');
    const again = await mergeLoraSet(componentFiles(b.dir), set);
    assert.deepEqual(again.files, first.files);
    assert.equal(again.key, first.key);
    assert.equal((await stat(again.files.unet ?? '')).mtimeMs, before.mtimeMs, 'not rewritten');
    const other = await mergeLoraSet(componentFiles(b.dir), uses(b.fixture, [['a', 0.25]]));
    assert.notEqual(other.key, first.key, 'another strength is another set');
  });
});

describe('LoRA baked into an import', () => {
  test('stack baked = torch = run-time merge', async (t) => {
    const b = await base(t);
    if (b === undefined) return;
    const set = uses(b.fixture, [['a', 1.0], ['b', -0.7]]);
    const opened = await openLoras(set);
    t.after(() => closeLoras(opened));
    const store = new ModelStore(join(work, 'baked'));
    const baked = await importModel({ source: join(b.fixture.base.dir, 'model.safetensors'), store, name: 'baked', transformInputs: bakeLoras(opened) });
    const bakedOut = await compare(t, b.fixture, componentFiles(baked.dir), 'stack');
    const runtime = await mergeLoraSet(componentFiles(b.dir), set);
    for (const component of Object.keys(OUTPUTS) as Array<keyof typeof OUTPUTS>) {
      const live = await runComponent(runtime.files[component] ?? '', component, b.fixture.reference, OUTPUTS[component]);
      const error = relativeError(live, bakedOut[component] ?? new Float32Array());
      t.diagnostic(`runtime vs baked ${component}: ${error.toExponential(2)}`);
      assert.ok(error <= 1e-6, `run-time and baked ${component} agree (${error})`);
    }
  });
});
