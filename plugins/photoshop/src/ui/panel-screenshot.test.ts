import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { photoshopPackageRoot } from '../build/package-root.js';
import { findChromium, pngSize, renderPanelScreenshot } from '../build/screenshot.js';

const chromium = findChromium();

test('panel screenshot with the fake host (headless Chromium)', { skip: chromium === null ? 'no chromium on PATH' : false, timeout: 120_000 }, async () => {
  const root = photoshopPackageRoot();
  const full = path.join(root, 'screenshots', 'panel.png');
  const dom = await renderPanelScreenshot(root, full, { width: 300, height: 1500 }, chromium as string);
  assert.match(dom, /data-ready="yes"/, dom.slice(0, 2000));
  // The page removes what UXP 7 lacks (toggleAttribute, replaceChildren, AbortSignal events):
  // reaching "ready" means the panel mounted, connected and ran a job without them.
  assert.match(dom, /data-token-place="gone,a1b2c3d4e5"/, 'the token moved from localStorage to secure storage');
  assert.match(dom, /data-big-seed="4294967295"/, 'a seed above ±214,748.36 survives the seed field');
  assert.doesNotMatch(dom, /id="token"[^>]*type="password"/);
  // What the panel shows after connecting and one finished job on the fake host and bridge.
  assert.match(dom, /id="conn-state"[^>]*>Connected · latent-bridge\/0\.1\.0</);
  assert.match(dom, /id="mode-hint"[^>]*>Animation of 4 frames as layers · selection 61×47 at 37,29 · 16-bit</);
  assert.match(dom, /<sp-menu-item value="demo"[^>]*selected/);
  assert.match(dom, /<sp-menu-item value="animation"[^>]*selected/);
  assert.match(dom, /id="animation-area" class="sub">/, 'the animation controls show');
  assert.match(dom, /id="prompt-list-area" class="sub" hidden/, 'the prompt-list controls do not');
  assert.equal(dom.match(/class="thumb( chosen)?"/g)?.length, 4, 'four frames in the strip');
  assert.match(dom, /title="1 of 4 · Seed 1234"/);
  // More like this on frame 2 (seed 1235): main seed 1235, a new variation seed.
  const [seed, variation] = /data-more-like-this="(\d+),(\d+)"/.exec(dom)?.slice(1) ?? [];
  assert.equal(seed, '1235');
  assert.ok(variation !== undefined && variation !== '98765', `a new variation seed, got ${variation}`);
  assert.match(dom, /<img[^>]*title="2 of 4 · Seed 1235"[^>]*class="thumb chosen"/, 'frame 2 is the chosen one');
  assert.match(dom, /id="error-area" hidden/);
  assert.match(dom, /id="progress"[^>]*value="60"/);
  assert.match(dom, /id="preview"[^>]*src="data:image\/jpeg;base64,/);
  assert.match(dom, /id="cancel"(?![^>]*disabled)/);
  const png = readFileSync(full);
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.deepEqual(pngSize(png), { width: 300, height: 1500 });
  // The manifest's minimum panel size: the panel must still render (it scrolls).
  const small = path.join(root, 'screenshots', 'panel-minimum-size.png');
  await renderPanelScreenshot(root, small, { width: 240, height: 300 }, chromium as string);
  assert.deepEqual(pngSize(readFileSync(small)), { width: 240, height: 300 });
});
