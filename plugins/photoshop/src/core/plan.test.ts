import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import type { DocumentInfo } from './host.js';
import { chooseMode, fitToNative, planJob } from './plan.js';
import { DEFAULT_SETTINGS, type JobSettings } from './settings.js';

function doc(overrides: Partial<DocumentInfo> = {}): DocumentInfo {
  return { id: 1, title: 't', width: 300, height: 200, resolution: 300, mode: 'rgb', modeName: 'RGBColorMode', bitDepth: 16, profile: 'sRGB IEC61966-2.1', quickMask: false, selection: null, ...overrides };
}

function selected(left: number, top: number, width: number, height: number, canvas = { width: 300, height: 200 }): DocumentInfo['selection'] {
  const right = Math.min(canvas.width, left + width);
  const bottom = Math.min(canvas.height, top + height);
  const l = Math.max(0, left);
  const t = Math.max(0, top);
  const onCanvas = right > l && bottom > t ? { left: l, top: t, width: right - l, height: bottom - t } : null;
  return { bounds: { left, top, width, height }, onCanvas, solid: false };
}

const s = (o: Partial<JobSettings> = {}): JobSettings => ({ ...DEFAULT_SETTINGS, model: 'm', prompt: 'p', ...o });

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof BridgeError && err.code === 'host_unsupported' && pattern.test(err.message));
}

describe('mode choice and job plan', () => {
  test('auto: no selection → generate, selection → inpaint; the override wins', () => {
    assert.equal(chooseMode(doc(), { mode: 'auto' }), 'txt2img');
    assert.equal(chooseMode(doc({ selection: selected(10, 10, 50, 50) }), { mode: 'auto' }), 'inpaint');
    assert.equal(chooseMode(doc({ selection: selected(10, 10, 50, 50) }), { mode: 'img2img' }), 'img2img');
  });

  test('inpaint: region is the selection padded by the context, clamped to the canvas', () => {
    const plan = planJob(doc({ selection: selected(11, 7, 41, 33) }), s({ padding: 16 }), 512);
    assert.deepEqual(plan.region, { left: 0, top: 0, width: 68, height: 56 });
    assert.ok(plan.sendImage && plan.sendMask && plan.maskLayers);
    const far = planJob(doc({ selection: selected(101, 51, 41, 33) }), s({ padding: 16 }), 512);
    assert.deepEqual(far.region, { left: 85, top: 35, width: 73, height: 65 });
  });

  test('img2img on the selection or on the canvas', () => {
    const d = doc({ selection: selected(101, 51, 41, 33) });
    assert.deepEqual(planJob(d, s({ mode: 'img2img', padding: 0 }), 512).region, { left: 101, top: 51, width: 41, height: 33 });
    const whole = planJob(d, s({ mode: 'img2img', img2imgScope: 'canvas' }), 512);
    assert.deepEqual(whole.region, { left: 0, top: 0, width: 300, height: 200 });
    assert.equal(whole.maskLayers, false);
  });

  test('txt2img: canvas at the model size and aspect, custom size centred, selection filled', () => {
    const canvas = planJob(doc(), s(), 512);
    assert.deepEqual(canvas.region, { left: 0, top: 0, width: 300, height: 200 });
    assert.deepEqual(canvas.generateSize, { width: 624, height: 416 });
    const custom = planJob(doc(), s({ size: 'custom', customWidth: 100, customHeight: 64 }), 512);
    assert.deepEqual(custom.region, { left: 100, top: 68, width: 100, height: 64 });
    assert.deepEqual(custom.generateSize, { width: 104, height: 64 });
    const fill = planJob(doc({ selection: selected(10, 10, 40, 40) }), s({ mode: 'txt2img' }), 512);
    assert.deepEqual(fill.region, { left: 10, top: 10, width: 40, height: 40 });
    assert.ok(fill.maskLayers && !fill.sendImage);
  });

  test('fitToNative keeps multiples of 8 within 64..2048', () => {
    assert.deepEqual(fitToNative({ width: 10, height: 1000 }, 512), { width: 64, height: 2048 });
    assert.deepEqual(fitToNative({ width: 512, height: 512 }, 768), { width: 768, height: 768 });
  });

  test('generation sizes follow the model size multiple (64 for SD exports), 8 when the bridge does not say', () => {
    assert.deepEqual(fitToNative({ width: 600, height: 400 }, 512), { width: 624, height: 416 });
    assert.deepEqual(fitToNative({ width: 600, height: 400 }, 512, 64), { width: 640, height: 448 });
    assert.deepEqual(fitToNative({ width: 10, height: 1000 }, 512, 64), { width: 64, height: 2048 });
    const fill = planJob(doc({ selection: selected(10, 10, 60, 40) }), s({ mode: 'txt2img' }), 512, 64);
    assert.equal(fill.generateSize!.width % 64, 0);
    assert.equal(fill.generateSize!.height % 64, 0);
    const custom = planJob(doc(), s({ mode: 'txt2img', size: 'custom', customWidth: 100, customHeight: 70 }), 512, 64);
    assert.deepEqual(custom.generateSize, { width: 128, height: 64 });
  });

  test('bad input gets words for the user', () => {
    rejects(() => planJob(null, s(), 512), /No document is open/);
    rejects(() => planJob(doc({ mode: 'unsupported', modeName: 'CMYKColorMode' }), s(), 512), /CMYK.*Image > Mode > RGB Color/);
    rejects(() => planJob(doc({ mode: 'unsupported', modeName: 'indexedColorMode' }), s(), 512), /Indexed Color/);
    rejects(() => planJob(doc({ bitDepth: 32 }), s(), 512), /32 bits per channel/);
    rejects(() => planJob(doc({ quickMask: true }), s(), 512), /Quick Mask/);
    rejects(() => planJob(doc({ selection: selected(400, 300, 20, 20) }), s(), 512), /outside the canvas/);
    rejects(() => planJob(doc({ selection: selected(5, 5, 1, 1) }), s(), 512), /only 1×1 pixels/);
    rejects(() => planJob(doc(), s({ mode: 'inpaint' }), 512), /needs a selection/);
  });
});
