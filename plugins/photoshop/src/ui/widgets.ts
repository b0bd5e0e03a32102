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

export function setChecked(el: HTMLElement, on: boolean): void {
  (el as Valued).checked = on;
  el.toggleAttribute('checked', on);
}

export function setDisabled(el: HTMLElement, off: boolean): void {
  (el as Valued).disabled = off;
  el.toggleAttribute('disabled', off);
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
  list.forEach((item) => item.toggleAttribute('selected', item.getAttribute('value') === value));
  const index = list.findIndex((i) => i.getAttribute('value') === value);
  if (index >= 0) (pickerEl as Valued).selectedIndex = index;
}

/** Replaces a picker's options, keeping `keep` selected when it is still offered. */
export function setPickerItems(pickerEl: HTMLElement, values: readonly string[], keep: string): void {
  const menu = pickerEl.querySelector('sp-menu') ?? pickerEl;
  menu.replaceChildren(
    ...values.map((v) => {
      const item = pickerEl.ownerDocument.createElement('sp-menu-item');
      item.setAttribute('value', v);
      item.textContent = v;
      return item;
    }),
  );
  setPickerValue(pickerEl, values.includes(keep) ? keep : (values[0] ?? ''));
}
