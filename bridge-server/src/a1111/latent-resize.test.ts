import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resizeLatents } from './processing/latent-resize.js';
import { INTERP_CASES, INTERP_INPUT } from './testing/latent-resize-reference.js';

test("latent upscale modes match torch's interpolate (up, non-integer, down; with and without antialias)", () => {
  const input = Float32Array.from(INTERP_INPUT);
  for (const c of INTERP_CASES) {
    const out = resizeLatents(input, [1, 2, 3, 5], c.size[0], c.size[1], { mode: c.mode, antialias: c.antialias });
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs((out[i] as number) - (c.output[i] as number)));
    assert.equal(out.length, c.output.length);
    assert.ok(worst < 1e-5, `${c.mode}${c.antialias ? ' aa' : ''} → ${c.size.join('×')}: max diff ${worst}`);
  }
});
