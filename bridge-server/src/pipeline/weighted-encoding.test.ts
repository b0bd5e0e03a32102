import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspectModel } from '../models/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { blendEmbeddings, encodeConditioning } from './conditioning.js';
import { LoadedModel } from './loaded-model.js';
import { encodePromptPair } from './prompt-encoding.js';
import { parsePromptWeights } from './prompt-syntax.js';
import { TextStack } from './text-stack.js';
import { applyTokenWeights, weightedWindows } from './weighted-encoding.js';

let dir: string;
let oracle: LoadedModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-weights-'));
  await makeTestModel('oracle', join(dir, 'oracle'));
  oracle = await LoadedModel.load(await inspectModel(join(dir, 'oracle')));
});

after(async () => {
  await oracle.release();
  await rm(dir, { recursive: true, force: true });
});

const LONG = Array.from({ length: 90 }, (_, i) => (i % 7 === 0 ? 'red' : `word${i}`)).join(' ');

test('plain prompts give exactly the ids of the tokenizer, chunked or truncated', () => {
  const tok = oracle.tokenizer;
  for (const text of ['a red barn', '', LONG, 'style: photo, 50% off']) {
    const chunked = weightedWindows(tok, parsePromptWeights(text), 'chunk');
    assert.deepEqual(chunked.map((w) => w.ids), tok.tokenizeChunks(text), text);
    assert.ok(chunked.every((w) => w.weights.every((x) => x === 1)));
    assert.deepEqual(weightedWindows(tok, parsePromptWeights(text), 'truncate').map((w) => w.ids), [tok.tokenize(text)]);
  }
});

test('plain prompts encode to the same embeddings as before weighting existed', async () => {
  const encoder = await oracle.textEncoder();
  for (const [prompt, negative] of [['a red barn', 'blue'], [LONG, 'green'], ['yellow', LONG], ['teal', '']] as const) {
    for (const mode of ['chunk', 'truncate'] as const) {
      const before = await encodePromptPair(oracle.tokenizer, encoder, prompt, negative, mode, true);
      const now = await encodeConditioning(await TextStack.of(oracle), { prompt, negative, longPrompt: mode }, true);
      assert.deepEqual(now.cond, before.cond, `${mode}: ${prompt.slice(0, 20)}`);
      assert.deepEqual(now.uncond, before.uncond);
      assert.equal(now.mix, undefined);
    }
  }
});

test('weights follow tokens across chunk boundaries; BREAK starts a new chunk', () => {
  const tok = oracle.tokenizer;
  const words = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
  const windows = weightedWindows(tok, parsePromptWeights(`(${words}:1.5)`), 'chunk');
  assert.equal(windows.length, tok.tokenizeChunks(words).length);
  const counts = tok.tokenizeChunks(words).map((ids) => ids.indexOf(tok.eosId) - 1);
  windows.forEach((w, i) => {
    const n = counts[i]!;
    assert.deepEqual([...w.weights.subarray(1, n + 1)], new Array(n).fill(1.5));
    assert.equal(w.weights[0], 1);
    assert.equal(w.weights[n + 1], 1);
  });
  const broken = weightedWindows(tok, parsePromptWeights('red BREAK blue'), 'chunk');
  assert.equal(broken.length, 2);
  assert.equal(broken[1]!.ids[1], tok.tokenToId('blue</w>'));
  assert.equal(weightedWindows(tok, parsePromptWeights('red BREAK blue'), 'truncate').length, 1);
});

test('applyTokenWeights scales tokens and restores the mean; all-ones is untouched', () => {
  const hidden = Float32Array.from({ length: 3 * 4 }, (_, i) => Math.sin(i + 1) + 0.3);
  const ones = new Float32Array(3).fill(1);
  assert.equal(applyTokenWeights(hidden, ones, 4), hidden);
  const out = applyTokenWeights(hidden, Float32Array.of(1, 2, 0.5), 4);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(out) - mean(hidden)) < 1e-6);
  const k = out[0]! / hidden[0]!;
  assert.ok(Math.abs(out[4]! / hidden[4]! - 2 * k) < 1e-5);
  assert.ok(Math.abs(out[8]! / hidden[8]! - 0.5 * k) < 1e-5);
  // A zero-mean window cannot be rescaled; the weighted values are kept (no NaN).
  const zero = applyTokenWeights(Float32Array.of(1, -1, 0, 0), Float32Array.of(2, 1), 2);
  assert.deepEqual([...zero], [2, -2, 0, 0]);
});

test('blendEmbeddings is the weighted sum', () => {
  const a = { data: Float32Array.of(1, 2), tokens: 1, hidden: 2 };
  const b = { data: Float32Array.of(3, -2), tokens: 1, hidden: 2 };
  assert.deepEqual([...blendEmbeddings([{ embedding: a, weight: 0.25 }, { embedding: b, weight: 0.75 }]).data], [2.5, -1]);
});
