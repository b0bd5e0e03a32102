/**
 * Prompt weights, mixed guidance, variations and animation on the oracle model, asserted in pixels.
 * The oracle's image colour is Σ rgbᵢ·wᵢ / max(1, Σ wᵢ) over the prompt's hidden states
 * (r, g, b, w), so every effect of weighting and blending has a closed form.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { inspectModel } from '../models/index.js';
import { makeTestModel, ORACLE_COLOURS, oracleColourToPixel, oracleGuidedColour, type Rgb } from '../testmodels/index.js';
import { animate } from './animate.js';
import { img2img } from './img2img.js';
import { LoadedModel } from './loaded-model.js';
import { PromptSyntaxError } from './prompt-syntax.js';
import { parametersText } from '../metadata/parameters-text.js';
import { txt2img } from './txt2img.js';

let dir: string;
let oracle: LoadedModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-creative-'));
  await makeTestModel('oracle', join(dir, 'oracle'));
  oracle = await LoadedModel.load(await inspectModel(join(dir, 'oracle')));
});

after(async () => {
  await oracle.release();
  await rm(dir, { recursive: true, force: true });
});

const BASE = { steps: 4, width: 64, height: 64, seed: 5, scheduler: 'euler', guidance: 1 };

/** Mean colour of an image, per channel. */
function meanColour(data: Uint8Array): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
  const n = data.length / 4;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

function assertNear(data: Uint8Array, expected: readonly number[], tolerance: number, label: string): void {
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(data[i + c]! - expected[c]!);
      if (d > tolerance) assert.fail(`${label}: pixel ${i / 4} channel ${c} is ${data[i + c]}, expected ${expected[c]} ±${tolerance}`);
    }
  }
}

async function colourOf(request: Record<string, unknown>): Promise<Uint8Array> {
  const result = await txt2img(oracle, { ...BASE, prompt: '', ...request } as never);
  return result.images[0]!.image.data;
}

/**
 * The A1111 weighting on the oracle's embedding rows (r, g, b, 1) of the colour tokens (every other
 * token is all zeros): rows × weight, then all × (sum before / sum after), then the oracle's colour.
 */
function weightedOracleColour(words: Array<[keyof typeof ORACLE_COLOURS, number]>): Rgb {
  const rows = words.map(([word, w]) => ({ rgb: ORACLE_COLOURS[word]!, w }));
  const before = rows.reduce((s, r) => s + r.rgb[0] + r.rgb[1] + r.rgb[2] + 1, 0);
  const after = rows.reduce((s, r) => s + r.w * (r.rgb[0] + r.rgb[1] + r.rgb[2] + 1), 0);
  const k = before / after;
  const weightSum = rows.reduce((s, r) => s + k * r.w, 0);
  const colour = [0, 1, 2].map((c) => rows.reduce((s, r) => s + r.rgb[c as 0]! * (k * r.w) ** 2, 0) / Math.max(1, weightSum));
  return [colour[0]!, colour[1]!, colour[2]!];
}

test('weights: a weighted word moves the colour as the weight says (A1111 scale, then restore the mean)', async () => {
  const reds: number[] = [];
  for (const [prompt, w] of [['[red] blue', 1 / 1.1], ['red blue', 1], ['(red) blue', 1.1], ['(red:1.5) blue', 1.5], ['((red:2)) blue', 2.2]] as const) {
    const data = await colourOf({ prompt });
    const expected = oracleColourToPixel(weightedOracleColour([['red', w], ['blue', 1]]));
    assertNear(data, expected, 1, prompt);
    reds.push(meanColour(data)[0]);
  }
  for (let i = 1; i < reds.length; i++) assert.ok(reds[i]! > reds[i - 1]!, `red rises with the weight: ${reds.join(', ')}`);
  // A lone weighted word: restoring the mean undoes a uniform scale, as in A1111.
  assert.deepEqual(await colourOf({ prompt: '(red:1.5)' }), await colourOf({ prompt: 'red' }));
  // Weights in the negative prompt act there: a heavier blue negative pushes blue further down.
  const white = ORACLE_COLOURS['white']!;
  const plainNeg = await colourOf({ guidance: 1.5, prompt: 'white', negative: 'blue green' });
  const heavyNeg = await colourOf({ guidance: 1.5, prompt: 'white', negative: '(blue:2) green' });
  assertNear(heavyNeg, oracleColourToPixel(oracleGuidedColour(white, weightedOracleColour([['blue', 2], ['green', 1]]), 1.5)), 1, 'negative');
  assert.ok(meanColour(heavyNeg)[2] < meanColour(plainNeg)[2] - 10, 'a heavier blue negative lowers blue');
});

test('mix: red 0.5 | blue 0.5 gives the mid colour, in embeddings and in noise mode', async () => {
  const red = ORACLE_COLOURS['red']!;
  const blue = ORACLE_COLOURS['blue']!;
  const mid = oracleColourToPixel([0, 1, 2].map((c) => (red[c as 0] + blue[c as 0]) / 2) as unknown as Rgb);
  assert.deepEqual(mid, [128, 64, 128]);
  for (const mixMode of ['embeddings', 'noise'] as const) {
    assertNear(await colourOf({ prompt: 'red :0.5 | blue :0.5', mixMode }), mid, 1, `${mixMode} 0.5/0.5`);
    // Weights are normalised: 3:1 is 0.75/0.25.
    const quarter = oracleColourToPixel([0, 1, 2].map((c) => 0.75 * red[c as 0] + 0.25 * blue[c as 0]) as unknown as Rgb);
    assertNear(await colourOf({ prompt: 'red :3 | blue', mixMode }), quarter, 1, `${mixMode} 3:1`);
    // With CFG the mix is what gets guided away from the negative.
    const guided = oracleColourToPixel(oracleGuidedColour([0, -0.5, 0], [0, 0, 0], 1.5));
    assertNear(await colourOf({ prompt: 'red :0.5 | blue :0.5', mixMode, guidance: 1.5, scheduler: 'dpmpp_2m' }), guided, 1, `${mixMode} cfg`);
  }
});

test('variation: strength 0 is the main seed, 1 the variation seed, between is neither', async () => {
  // DDIM leaves sqrt(1 − ᾱ₀) of the initial noise in the image, which makes the seed visible.
  const ddim = { prompt: 'red', scheduler: 'ddim', steps: 3 };
  const seed5 = await colourOf({ ...ddim, seed: 5 });
  const seed9 = await colourOf({ ...ddim, seed: 9 });
  assert.notDeepEqual(seed5, seed9, 'the seed must show in DDIM images');
  assert.deepEqual(await colourOf({ ...ddim, seed: 5, variation: { seed: 9, strength: 0 } }), seed5);
  assert.deepEqual(await colourOf({ ...ddim, seed: 5, variation: { seed: 9, strength: 1 } }), seed9);
  const half = await colourOf({ ...ddim, seed: 5, variation: { seed: 9, strength: 0.5 } });
  assert.notDeepEqual(half, seed5);
  assert.notDeepEqual(half, seed9);
  // Per-image seeds: image i of a batch pulls towards variation seed + i.
  const batch = await txt2img(oracle, { ...BASE, ...ddim, seed: 5, batch: 2, variation: { seed: 9, strength: 1 } });
  assert.deepEqual(batch.images[1]!.image.data, await colourOf({ ...ddim, seed: 10 }));
  await assert.rejects(colourOf({ ...ddim, variation: { seed: 9, strength: 1.5 } }), (e: unknown) => e instanceof BridgeError && e.field === 'variation.strength');
});

test('animation: frames go monotonically from one prompt to the other, ends equal txt2img', async () => {
  const frames: number[] = [];
  const result = await animate(oracle, { ...BASE, prompt: 'red', toPrompt: 'blue', frames: 5 }, { onFrame: (f) => frames.push(f.index) });
  assert.deepEqual(frames, [0, 1, 2, 3, 4]);
  assert.deepEqual(result.frames.map((f) => f.t), [0, 0.25, 0.5, 0.75, 1]);
  const means = result.frames.map((f) => meanColour(f.image.data));
  for (let i = 1; i < means.length; i++) {
    assert.ok(means[i]![0] < means[i - 1]![0] - 10, `red falls: ${means.map((m) => m[0]).join(', ')}`);
    assert.ok(means[i]![2] > means[i - 1]![2] + 10, `blue rises: ${means.map((m) => m[2]).join(', ')}`);
  }
  assert.deepEqual(result.frames[0]!.image.data, await colourOf({ prompt: 'red' }));
  assert.deepEqual(result.frames[4]!.image.data, await colourOf({ prompt: 'blue' }));
  assertNear(result.frames[2]!.image.data, [128, 64, 128], 1, 'middle frame');
});

test('animation between seeds: ends are the two seeds, frames ≤ 0 is an error', async () => {
  const ddim = { prompt: 'green', scheduler: 'ddim', steps: 3 };
  const result = await animate(oracle, { ...BASE, ...ddim, seed: 5, toSeed: 9, frames: 3 });
  assert.deepEqual(result.frames[0]!.image.data, await colourOf({ ...ddim, seed: 5 }));
  assert.deepEqual(result.frames[2]!.image.data, await colourOf({ ...ddim, seed: 9 }));
  assert.notDeepEqual(result.frames[1]!.image.data, result.frames[0]!.image.data);
  for (const frames of [0, -3, 1.5]) {
    await assert.rejects(animate(oracle, { ...BASE, ...ddim, frames }), (e: unknown) => e instanceof BridgeError && e.field === 'frames');
  }
  await assert.rejects(animate(oracle, { ...BASE, prompt: 'red', toPrompt: 'blue (x', frames: 2 }), (e: unknown) => {
    assert.ok(e instanceof PromptSyntaxError);
    assert.equal(e.field, 'toPrompt');
    assert.equal(e.position, 5);
    return true;
  });
});

test('animation chained through img2img: each frame starts from the one before', async () => {
  const base = { ...BASE, prompt: 'red', toPrompt: 'blue', frames: 3, scheduler: 'ddim', steps: 4 };
  const chained = await animate(oracle, { ...base, chainStrength: 0.5 });
  const free = await animate(oracle, base);
  assert.deepEqual(chained.frames[0]!.image.data, free.frames[0]!.image.data);
  // At t = 1 the prompt is exactly "blue" and the noise the seed's own: plain img2img of frame 2.
  const expected = await img2img(oracle, { ...BASE, scheduler: 'ddim', steps: 4, prompt: 'blue', image: chained.frames[1]!.image, strength: 0.5 });
  assert.deepEqual(chained.frames[2]!.image.data, expected.images[0]!.image.data);
  assert.notDeepEqual(chained.frames[2]!.image.data, free.frames[2]!.image.data);
  for (const chainStrength of [0, 1, 0.1, Number.NaN]) {
    await assert.rejects(animate(oracle, { ...base, chainStrength }), (e: unknown) => e instanceof BridgeError && e.field === 'chainStrength');
  }
});

test('syntax errors reach the caller before any model runs, with field and position', async () => {
  await assert.rejects(colourOf({ prompt: 'a (red:abc) barn' }), (e: unknown) => {
    assert.ok(e instanceof PromptSyntaxError);
    assert.equal(e.code, 'prompt_syntax');
    assert.equal(e.field, 'prompt');
    assert.equal(e.position, 7);
    return true;
  });
  await assert.rejects(colourOf({ prompt: 'red', negative: 'blue]' }), (e: unknown) => e instanceof PromptSyntaxError && e.field === 'negative' && e.position === 4);
  await assert.rejects(colourOf({ prompt: 'red |', mixMode: 'noise' }), (e: unknown) => e instanceof PromptSyntaxError && e.position === 5);
  await assert.rejects(colourOf({ prompt: 'red', mixMode: 'both' }), (e: unknown) => e instanceof BridgeError && e.field === 'mixMode');
});

test('seedResizeFrom: validated, per-image seeds only, and written as A1111 "Seed resize from"', async () => {
  const result = await txt2img(oracle, { ...BASE, prompt: 'red', seedResizeFrom: { width: 96, height: 48 }, variation: { seed: 9, strength: 0.4 } });
  assert.deepEqual(result.params.seedResizeFrom, { width: 96, height: 48 });
  const text = parametersText(result.params, 5, result.scheduler, 'oracle');
  assert.match(text, /Variation seed: 9, Variation seed strength: 0\.4, Seed resize from: 96x48/);
  await assert.rejects(txt2img(oracle, { ...BASE, prompt: 'red', seedMode: 'shared', seedResizeFrom: { width: 96, height: 48 } }), (e: unknown) => e instanceof BridgeError && e.field === 'seedResizeFrom');
  await assert.rejects(txt2img(oracle, { ...BASE, prompt: 'red', seedResizeFrom: { width: 4, height: 48 } }), (e: unknown) => e instanceof BridgeError && e.field === 'seedResizeFrom.width');
});
