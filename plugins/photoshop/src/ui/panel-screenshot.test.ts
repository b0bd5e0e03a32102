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
  const dom = await renderPanelScreenshot(root, full, { width: 300, height: 1320 }, chromium as string);
  assert.match(dom, /data-ready="yes"/, dom.slice(0, 2000));
  // What the panel shows after connecting and one finished job on the fake host and bridge.
  assert.match(dom, /id="conn-state"[^>]*>Connected · latent-bridge\/0\.1\.0</);
  assert.match(dom, /id="mode-hint"[^>]*>Inpaint the selection · selection 61×47 at 37,29 · 16-bit</);
  assert.match(dom, /<sp-menu-item value="demo-inpaint"[^>]*selected/);
  assert.equal(dom.match(/class="thumb( chosen)?"/g)?.length, 3, 'three results in the strip');
  assert.match(dom, /id="error-area" hidden/);
  assert.match(dom, /id="progress"[^>]*value="60"/);
  assert.match(dom, /id="preview"[^>]*src="data:image\/jpeg;base64,/);
  assert.match(dom, /id="cancel"(?![^>]*disabled)/);
  const png = readFileSync(full);
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.deepEqual(pngSize(png), { width: 300, height: 1320 });
  // The manifest's minimum panel size: the panel must still render (it scrolls).
  const small = path.join(root, 'screenshots', 'panel-minimum-size.png');
  await renderPanelScreenshot(root, small, { width: 240, height: 300 }, chromium as string);
  assert.deepEqual(pngSize(readFileSync(small)), { width: 240, height: 300 });
});
