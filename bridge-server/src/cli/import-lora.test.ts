/**
 * `latent-bridge import BASE --lora FILE[:WEIGHT]` end to end: the command bakes the LoRA into a
 * new model beside the plain import (named after both), whose UNet and text encoder give torch's
 * outputs for the model merged at that weight.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertClose } from '../convert/testing/compare.js';
import { loraFixture, runComponent } from '../lora/testing/lora-fixtures.js';
import { ModelStore } from '../models/index.js';
import { importCommand } from './import-command.js';

const work = await mkdtemp(join(tmpdir(), 'lb-import-lora-'));
after(() => rm(work, { recursive: true, force: true }));

test('import --lora bakes a LoRA at its weight into its own model', async (t) => {
  const fixture = await loraFixture(t, 'sd1');
  if (fixture === undefined) return;
  t.after(() => fixture.reference.close());
  const models = join(work, 'models');
  await copyFile(join(fixture.base.dir, 'model.safetensors'), join(work, 'tiny.safetensors'));
  await copyFile(join(fixture.dir, 'a.safetensors'), join(work, 'ink.safetensors'));
  const quiet = console.log;
  console.log = () => undefined;
  try {
    await importCommand([join(work, 'tiny.safetensors'), '--models', models]);
    await importCommand([join(work, 'tiny.safetensors'), '--models', models, '--lora', `${join(work, 'ink.safetensors')}:0.5`]);
  } finally {
    console.log = quiet;
  }
  assert.deepEqual((await new ModelStore(models).list()).map((m) => m.name).sort(), ['tiny', 'tiny-ink'], 'the bake is a model of its own, the plain import untouched');
  for (const [component, output] of [['unet', 'out_sample'], ['text_encoder', 'last_hidden_state']] as const) {
    const got = await runComponent(join(models, 'tiny-ink', component, 'model.onnx'), component, fixture.reference, output);
    const error = assertClose(got, await fixture.reference.readFloat32(`a05.${component}.out.${output}`), 1e-4, component);
    t.diagnostic(`baked a@0.5 ${component}: ${error.toExponential(2)} of max|ref|`);
  }
});
