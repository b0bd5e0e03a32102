/**
 * Minimal stand-ins for the Spectrum UXP widgets, for rendering the panel in an ordinary
 * browser (the screenshot test). UXP has these built in; this file is never bundled into the
 * plug-in. Each keeps the property the panel reads (value, checked, selectedIndex, disabled).
 */
const STYLE = `
:host { display: block; box-sizing: border-box; font: 12px system-ui, sans-serif; color: #ddd; }
input, textarea, select { width: 100%; box-sizing: border-box; background: #1f1f1f; color: #eee; border: 1px solid #555; border-radius: 3px; padding: 3px 5px; font: inherit; }
textarea { min-height: 44px; resize: vertical; }
.slider { display: flex; align-items: center; gap: 6px; } .slider input { flex: 1; padding: 0; } .label { font-size: 11px; color: #aaa; }
progress { width: 100%; height: 6px; }
`;

function shadow(host: HTMLElement, html: string): ShadowRoot {
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `<style>${STYLE}</style>${html}`;
  return root;
}

class SpTextfield extends HTMLElement {
  protected input!: HTMLInputElement | HTMLTextAreaElement;
  connectedCallback(): void {
    if (this.shadowRoot) return;
    const multi = this.localName === 'sp-textarea';
    const type = this.getAttribute('type') ?? 'text';
    const root = shadow(this, multi ? '<textarea></textarea>' : `<input type="${type}">`);
    this.input = root.querySelector(multi ? 'textarea' : 'input') as HTMLInputElement;
    this.input.value = this.getAttribute('value') ?? '';
    this.input.placeholder = this.getAttribute('placeholder') ?? '';
    this.input.addEventListener('change', () => this.dispatchEvent(new Event('change')));
  }
  get value(): string {
    const v = this.input?.value ?? this.getAttribute('value') ?? '';
    // As UXP's sp-textfield type="number": values are capped at ±214,748.36.
    if (this.getAttribute('type') === 'number' && v.trim() !== '' && Number.isFinite(Number(v))) return String(Math.max(-214748.36, Math.min(214748.36, Number(v))));
    return v;
  }
  set value(v: string) {
    if (this.input) this.input.value = v;
    else this.setAttribute('value', v);
  }
}

class SpPicker extends HTMLElement {
  private select!: HTMLSelectElement;
  connectedCallback(): void {
    if (this.shadowRoot) return;
    this.select = shadow(this, '<select></select>').querySelector('select') as HTMLSelectElement;
    this.select.addEventListener('change', () => this.dispatchEvent(new Event('change')));
    new MutationObserver(() => this.sync()).observe(this, { subtree: true, childList: true, attributes: true });
    this.sync();
  }
  private sync(): void {
    const items = [...this.querySelectorAll('sp-menu-item')];
    while (this.select.firstChild) this.select.removeChild(this.select.firstChild);
    for (const i of items) this.select.appendChild(new Option(i.textContent ?? '', i.getAttribute('value') ?? '', false, i.hasAttribute('selected')));
  }
  get selectedIndex(): number {
    return this.select?.selectedIndex ?? -1;
  }
  set selectedIndex(i: number) {
    if (this.select) this.select.selectedIndex = i;
  }
}

class SpSlider extends HTMLElement {
  private range!: HTMLInputElement;
  private shown: HTMLSpanElement | null = null;
  connectedCallback(): void {
    if (this.shadowRoot) return;
    const root = shadow(this, '<div class="label"><slot name="label"></slot></div><div class="slider"><input type="range"><span></span></div>');
    this.range = root.querySelector('input') as HTMLInputElement;
    for (const a of ['min', 'max', 'step']) this.range.setAttribute(a, this.getAttribute(a) ?? '');
    this.range.value = this.getAttribute('value') ?? '0';
    this.shown = root.querySelector('span');
    this.range.addEventListener('input', () => this.show());
    this.show();
  }
  get value(): number {
    return Number(this.range?.value ?? this.getAttribute('value'));
  }
  set value(v: number) {
    if (this.range) this.range.value = String(v);
    this.setAttribute('value', String(v));
    this.show();
  }
  private show(): void {
    if (this.shown && this.range) this.shown.textContent = this.range.value;
  }
}

class SpCheckbox extends HTMLElement {
  private box!: HTMLInputElement;
  connectedCallback(): void {
    if (this.shadowRoot) return;
    const root = shadow(this, '<label style="display:flex;align-items:center;gap:4px;white-space:nowrap"><input type="checkbox" style="width:auto"><slot></slot></label>');
    this.box = root.querySelector('input') as HTMLInputElement;
    this.box.checked = this.hasAttribute('checked');
  }
  get checked(): boolean {
    return this.box?.checked ?? this.hasAttribute('checked');
  }
  set checked(on: boolean) {
    if (this.box) this.box.checked = on;
    if (on) this.setAttribute('checked', '');
    else this.removeAttribute('checked');
  }
}

class SpProgressbar extends HTMLElement {
  connectedCallback(): void {
    if (this.shadowRoot) return;
    shadow(this, '<div class="label"><slot name="label"></slot></div><progress></progress>');
    this.update();
    new MutationObserver(() => this.update()).observe(this, { attributes: true });
  }
  private update(): void {
    const bar = this.shadowRoot?.querySelector('progress');
    if (!bar) return;
    bar.max = Number(this.getAttribute('max') ?? 100);
    bar.value = Number(this.getAttribute('value') ?? 0);
  }
}

const STYLES = `
sp-button, sp-action-button { display: inline-block; padding: 4px 14px; border-radius: 14px; border: 2px solid #888; color: #eee; font: 600 12px system-ui, sans-serif; cursor: pointer; text-align: center; }
sp-button[variant="cta"] { background: #1473e6; border-color: #1473e6; }
sp-button[disabled], sp-action-button[disabled] { opacity: 0.4; }
sp-action-button { border-radius: 4px; border-width: 1px; padding: 2px 8px; margin: 2px 0; font-weight: 400; }
sp-label, sp-detail { display: block; font: 11px system-ui, sans-serif; color: #b0b0b0; margin: 2px 0 1px; }
sp-detail { text-transform: uppercase; letter-spacing: 0.05em; font-size: 10px; }
sp-body { font: 12px system-ui, sans-serif; color: #ddd; }
sp-menu { display: none; }
`;

export function defineSpectrumFallbacks(doc: Document): void {
  const define = (name: string, ctor: CustomElementConstructor) => {
    if (!customElements.get(name)) customElements.define(name, ctor);
  };
  define('sp-textfield', SpTextfield);
  define('sp-textarea', class extends SpTextfield {});
  define('sp-picker', SpPicker);
  define('sp-slider', SpSlider);
  define('sp-checkbox', SpCheckbox);
  define('sp-progressbar', SpProgressbar);
  const style = doc.createElement('style');
  style.textContent = STYLES;
  doc.head.append(style);
}
