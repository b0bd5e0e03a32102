/**
 * Long prompts on a model whose UNet was exported with a fixed 77-token encoder_hidden_states:
 * detected from the graph's input shape, the prompt is truncated like diffusers does (with a
 * warning in the result) instead of failing with a tensor-shape error; a symbolic sequence keeps
 * the chunked long prompt.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspectModel } from '../models/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { animate } from './animate.js';
import { LoadedModel } from './loaded-model.js';
import { TextStack } from './text-stack.js';
import { txt2img } from './txt2img.js';

let dir: string;
let fixed: LoadedModel;
let dynamic: LoadedModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-fixed77-'));
  await makeTestModel('oracle', join(dir, 'fixed'), { fixedSequence: 77 });
  await makeTestModel('oracle', join(dir, 'dynamic'));
  fixed = await LoadedModel.load(await inspectModel(join(dir, 'fixed')));
  dynamic = await LoadedModel.load(await inspectModel(join(dir, 'dynamic')));
});

after(async () => {
  await fixed.release();
  await dynamic.release();
  await rm(dir, { recursive: true, force: true });
});

// 80 filler words, so "blue" lands in the second 77-token window.
const LONG = `a red barn ${Array.from({ length: 80 }, () => 'field').join(' ')} blue sky`;
const BASE = { guidance: 1, steps: 2, width: 64, height: 64, seed: 5, scheduler: 'euler' };

test('the UNet input shape decides: fixed 77 allows one window, a symbolic sequence any number', async () => {
  assert.equal((await fixed.unet()).input('encoder_hidden_states')?.dims[1], 77);
  assert.equal((await TextStack.of(fixed)).maxWindows, 1);
  assert.equal((await TextStack.of(dynamic)).maxWindows, undefined);
});

test('fixed 77: a long prompt is truncated at 77 with a warning naming the dropped text, same pixels as truncate mode', async () => {
  const result = await txt2img(fixed, { ...BASE, prompt: LONG, negative: 'green' });
  assert.equal(result.warnings?.length, 1, JSON.stringify(result.warnings));
  assert.match(result.warnings?.[0] ?? '', /^prompt: .*fixed 77-token.*truncated to 75 tokens.*"field field.*blue sky"$/);
  const truncated = await txt2img(dynamic, { ...BASE, prompt: LONG, negative: 'green', longPrompt: 'truncate' });
  assert.equal(truncated.warnings, undefined);
  assert.deepEqual(Buffer.from(result.images[0]?.image.data ?? []), Buffer.from(truncated.images[0]?.image.data ?? []));
  // The dynamic model keeps the whole prompt ("blue" counts), so its image differs.
  const chunked = await txt2img(dynamic, { ...BASE, prompt: LONG, negative: 'green' });
  assert.equal(chunked.warnings, undefined);
  assert.notDeepEqual(Buffer.from(chunked.images[0]?.image.data ?? []), Buffer.from(result.images[0]?.image.data ?? []));
});

test('fixed 77: a short prompt runs unchanged and warns nothing; a long negative is cut and named', async () => {
  const short = await txt2img(fixed, { ...BASE, prompt: 'a red barn' });
  assert.equal(short.warnings, undefined);
  const same = await txt2img(dynamic, { ...BASE, prompt: 'a red barn' });
  assert.deepEqual(Buffer.from(short.images[0]?.image.data ?? []), Buffer.from(same.images[0]?.image.data ?? []));
  const negative = await txt2img(fixed, { ...BASE, guidance: 3, prompt: 'red', negative: LONG });
  assert.deepEqual(negative.warnings?.map((w) => w.split(':')[0]), ['negative']);
});

test('fixed 77: an animation with a long end prompt runs and carries the warning', async () => {
  const result = await animate(fixed, { ...BASE, prompt: 'red', toPrompt: LONG, frames: 2 });
  assert.equal(result.frames.length, 2);
  assert.equal(result.warnings?.length, 1);
});
