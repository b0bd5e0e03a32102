import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latentPreview, SD1_LATENT_RGB_FACTORS } from './latent-preview.js';

test('the preview applies the 4×3 map per pixel of the chosen batch item', () => {
  const shape = [2, 4, 1, 2] as const;
  const latents = new Float32Array(2 * 4 * 2);
  // Item 1, pixel 1: latent (1, 0, 0, 0) -> factors of channel 1; pixel 0 stays 0 -> mid gray.
  latents[8 + 0 * 2 + 1] = 1;
  const img = latentPreview(latents, shape, 1);
  assert.equal(img.width, 2);
  assert.equal(img.height, 1);
  const [r, g, b] = SD1_LATENT_RGB_FACTORS[0] as readonly number[];
  const byte = (v: number) => Math.round(((v + 1) / 2) * 255);
  assert.deepEqual([...img.data], [128, 128, 128, 255, byte(r as number), byte(g as number), byte(b as number), 255]);
  // Item 0 is all zero.
  assert.deepEqual([...latentPreview(latents, shape, 0).data.subarray(4)], [128, 128, 128, 255]);
});
