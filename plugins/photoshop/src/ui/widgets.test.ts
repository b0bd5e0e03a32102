import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { photoshopPackageRoot } from '../build/package-root.js';
import { UxpElement } from '../fake/uxp-dom.js';
import { parseSeed } from '../core/settings.js';
import { panelMarkup } from './panel-markup.js';
import { pickerValue, setChecked, setChildren, setDisabled, setPickerItems, setPickerValue } from './widgets.js';

function picker(): UxpElement {
  const doc = UxpElement.document();
  const el = doc.createElement('sp-picker');
  el.appendChild(doc.createElement('sp-menu'));
  return el;
}

test('widget helpers work on an element with only what UXP 7 has (no toggleAttribute, no replaceChildren)', () => {
  const el = UxpElement.document().createElement('sp-checkbox');
  assert.equal(el['toggleAttribute'], undefined);
  setChecked(el.asElement(), true);
  assert.equal(el.hasAttribute('checked'), true);
  setChecked(el.asElement(), false);
  assert.equal(el.hasAttribute('checked'), false);
  setDisabled(el.asElement(), true);
  assert.equal(el.getAttribute('disabled'), '');
  setDisabled(el.asElement(), false);
  assert.equal(el.hasAttribute('disabled'), false);

  const p = picker();
  setPickerItems(p.asElement(), ['a', { value: 'b', label: 'B · SDXL 1024' }], 'b');
  setPickerItems(p.asElement(), ['a', { value: 'b', label: 'B · SDXL 1024' }, 'c'], 'b');
  const items = p.querySelectorAll('sp-menu-item');
  assert.deepEqual(items.map((i) => i.getAttribute('value')), ['a', 'b', 'c'], 'the old items were replaced, not added to');
  assert.equal(items[1]?.textContent, 'B · SDXL 1024');
  assert.equal(pickerValue(p.asElement()), 'b');
  setPickerValue(p.asElement(), 'c');
  assert.deepEqual(items.map((i) => i.hasAttribute('selected')), [false, false, true]);

  const strip = UxpElement.document().createElement('div');
  setChildren(strip.asElement(), [strip.ownerDocument.createElement('img')].map((e) => e as unknown as Node));
  setChildren(strip.asElement(), [strip.ownerDocument.createElement('img'), strip.ownerDocument.createElement('img')].map((e) => e as unknown as Node));
  assert.equal(strip.children.length, 2);
});

test('seeds: text fields, whole numbers 0 … 2^32−1, clear errors otherwise', () => {
  // sp-textfield type="number" caps at ±214,748.36, so no seed field may be a number field.
  const markup = panelMarkup();
  for (const id of ['seed', 'variation-seed', 'anim-to-seed']) {
    const tag = new RegExp(`<sp-textfield id="${id}"[^>]*>`).exec(markup)?.[0] ?? '';
    assert.ok(tag !== '' && !/type="number"/.test(tag), `#${id} is a text field: ${tag}`);
  }
  assert.equal(parseSeed('4294967295', 'seed', 'Seed'), 4294967295);
  assert.equal(parseSeed(' 0 ', 'seed', 'Seed'), 0);
  assert.equal(parseSeed('', 'seed', 'Seed'), null);
  for (const bad of ['4294967296', '-1', '1.5', '12abc', '1e9']) {
    assert.throws(() => parseSeed(bad, 'variation-seed', 'Variation seed'), (err: unknown) => err instanceof Error && (err as { field?: string }).field === 'variation-seed' && /0 to 4294967295/.test(err.message), bad);
  }
});

test('token: a plain text field (a password field cannot be read on macOS)', () => {
  const tag = /<sp-textfield id="token"[^>]*>/.exec(panelMarkup())?.[0] ?? '';
  assert.ok(tag !== '' && !/type="password"/.test(tag), tag);
});

test('panel CSS uses nothing UXP does not support (object-fit)', () => {
  const css = readFileSync(path.join(photoshopPackageRoot(), 'static', 'panel.css'), 'utf8');
  assert.doesNotMatch(css, /object-fit\s*:/);
});
