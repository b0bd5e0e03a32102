/**
 * Reading and writing Spectrum UXP widgets. sp-textfield/sp-textarea/sp-slider expose `value`,
 * sp-checkbox `checked`, sp-picker the `selectedIndex` of its sp-menu-items (and `value` on
 * newer UXP); the helpers try both so the same code runs in UXP and in the test fallback.
 */
export function byId<T extends HTMLElement = HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector(`#${id}`);
  if (!el) throw new Error(`panel: no element #${id}`);
  return el as T;
}

type Valued = HTMLElement & { value?: unknown; checked?: unknown; selectedIndex?: unknown; disabled?: unknown };

export function textOf(el: HTMLElement): string {
  const v = (el as Valued).value;
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : (el.getAttribute('value') ?? '');
}

export function setText(el: HTMLElement, value: string): void {
  (el as Valued).value = value;
  el.setAttribute('value', value);
}

export function numberOf(el: HTMLElement, fallback: number): number {
  const n = Number(textOf(el).trim());
  return textOf(el).trim() === '' || !Number.isFinite(n) ? fallback : n;
}

export function checkedOf(el: HTMLElement): boolean {
  const v = (el as Valued).checked;
  return typeof v === 'boolean' ? v : el.hasAttribute('checked');
}

/**
 * Sets or removes a boolean attribute. UXP's HTMLElement has set/removeAttribute but no
 * toggleAttribute (uxp-api reference-js HTMLElement), so this is the only way the panel flips one.
 */
export function setFlag(el: Element, name: string, on: boolean): void {
  if (on) el.setAttribute(name, '');
  else el.removeAttribute(name);
}

export function setChecked(el: HTMLElement, on: boolean): void {
  (el as Valued).checked = on;
  setFlag(el, 'checked', on);
}

export function setDisabled(el: HTMLElement, off: boolean): void {
  (el as Valued).disabled = off;
  setFlag(el, 'disabled', off);
}

/**
 * Replaces an element's children. replaceChildren only exists from UXP 8.0 (Photoshop 26) and
 * the manifest allows 25.0, so children go one by one.
 */
export function setChildren(parent: Element, children: readonly Node[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  for (const child of children) parent.appendChild(child);
}

function items(pickerEl: HTMLElement): HTMLElement[] {
  return [...pickerEl.querySelectorAll<HTMLElement>('sp-menu-item')];
}

export function pickerValue(pickerEl: HTMLElement): string {
  const list = items(pickerEl);
  const index = (pickerEl as Valued).selectedIndex;
  if (typeof index === 'number' && index >= 0 && list[index]) return list[index].getAttribute('value') ?? '';
  const selected = list.find((i) => i.hasAttribute('selected'));
  return selected?.getAttribute('value') ?? list[0]?.getAttribute('value') ?? '';
}

export function setPickerValue(pickerEl: HTMLElement, value: string): void {
  const list = items(pickerEl);
  list.forEach((item) => setFlag(item, 'selected', item.getAttribute('value') === value));
  const index = list.findIndex((i) => i.getAttribute('value') === value);
  if (index >= 0) (pickerEl as Valued).selectedIndex = index;
}

/** Replaces a picker's options, keeping `keep` selected when it is still offered. */
export function setPickerItems(pickerEl: HTMLElement, values: readonly (string | { value: string; label: string })[], keep: string): void {
  const menu = pickerEl.querySelector('sp-menu') ?? pickerEl;
  setChildren(
    menu,
    values.map((v) => {
      const item = pickerEl.ownerDocument.createElement('sp-menu-item');
      item.setAttribute('value', typeof v === 'string' ? v : v.value);
      item.textContent = typeof v === 'string' ? v : v.label;
      return item;
    }),
  );
  const plain = values.map((v) => (typeof v === 'string' ? v : v.value));
  setPickerValue(pickerEl, plain.includes(keep) ? keep : (plain[0] ?? ''));
}
