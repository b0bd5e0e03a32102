import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sdAlphasCumprod, sdTrainingSigmas, sigmaAt } from './sdSchedule.js';

test('the SD training schedule matches diffusers', () => {
  const alphas = sdAlphasCumprod();
  assert.equal(alphas.length, 1000);
  assert.equal(alphas[0], Math.fround(1 - 0.00085));
  assert.ok(Math.abs((alphas[999] ?? 0) - 0.0046601) < 1e-6, `ᾱ_999 = ${alphas[999]}`);
  const sigmas = sdTrainingSigmas();
  assert.ok(Math.abs((sigmas[999] ?? 0) - 14.6146) < 1e-3, `σ_999 = ${sigmas[999]}`);
  assert.ok(Math.abs((sigmas[0] ?? 0) - 0.0292) < 1e-4, `σ_0 = ${sigmas[0]}`);
  assert.equal(sigmaAt(12), sigmas[12]);
  assert.ok(Math.abs(sigmaAt(12.5) - ((sigmas[12] ?? 0) + (sigmas[13] ?? 0)) / 2) < 1e-9);
  assert.equal(sigmaAt(5000), sigmas[999]);
});
