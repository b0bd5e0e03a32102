import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { photoshopPackageRoot } from '../build/package-root.js';
import { findChromium, renderPanelScreenshot } from '../build/screenshot.js';

const chromium = findChromium();

test('model-aware panel: families and sizes listed, defaults applied, LoRAs and embeddings sent, import with progress (UXP-like DOM)', { skip: chromium === null ? 'no chromium on PATH' : false, timeout: 120_000 }, async () => {
  const root = photoshopPackageRoot();
  const dom = await renderPanelScreenshot(root, path.join(root, 'screenshots', 'panel-models.png'), { width: 300, height: 1400 }, chromium as string, 'models-page.ts');
  const data = (name: string) => new RegExp(`data-${name}="([^"]*)"`).exec(dom)?.[1]?.replace(/&quot;/g, '"').replace(/&amp;/g, '&') ?? null;
  assert.equal(data('ready'), 'yes', dom.slice(0, 3000));
  assert.equal(data('model-labels'), 'demo · 512×512|demo-inpaint · 512×512 · inpainting|sd15-photo · SD 1.x · 512×512|sdxl-base · SDXL · 1024×1024|sdxl-turbo · SDXL · 512×512');
  assert.equal(data('sdxl-fields'), '30,5,euler,1024,1024');
  assert.equal(data('model-info'), 'SDXL · native 1024px · starts at 30 steps, guidance 5, euler');
  assert.equal(data('lora-choices'), 'xl-detail|any-style', 'SD 1.x LoRAs are not offered for SDXL');
  assert.equal(data('embedding-choices'), 'xl-neg');
  assert.deepEqual(JSON.parse(data('generate') ?? 'null'), {
    model: 'sdxl-base', loras: [{ name: 'xl-detail', weight: 0.6 }], negative: 'blurry, xl-neg', steps: 30, guidance: 5, scheduler: 'euler', width: 1152, height: 896,
  });
  assert.equal(data('lora-rows'), '1');
  assert.equal(data('import-state'), 'Imported as dreamy.');
  assert.equal(data('after-import'), 'dreamy,28,6.5,ddim,512,768');
  assert.match(data('checkpoint-labels') ?? '', /dreamy-v2\.safetensors · 2\.1 GB · imported as dreamy/);
  assert.equal(data('error-hidden'), 'true');
});
