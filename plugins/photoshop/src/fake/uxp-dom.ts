/**
 * What a UXP panel's DOM lacks compared with Chromium, for tests (never bundled into the
 * plug-in). Adobe's uxp-api reference (reference-js Global Members HTML DOM, AbortSignal) has
 * no Element.toggleAttribute, replaceChildren only from UXP 8.0 (Photoshop 26, above the
 * manifest's minVersion 25.0), and AbortSignal with aborted/reason/throwIfAborted only.
 */

/** Removes those APIs from a browser window so the panel runs as strictly as in UXP 7. */
export function makeUxpLike(win: Window & typeof globalThis): void {
  for (const proto of [win.Element.prototype, win.Document.prototype, win.DocumentFragment.prototype]) {
    for (const name of ['toggleAttribute', 'replaceChildren']) {
      Object.defineProperty(proto, name, { value: undefined, configurable: true, writable: true });
    }
  }
  Object.defineProperty(win.AbortSignal.prototype, 'addEventListener', { value: undefined, configurable: true, writable: true });
  Object.defineProperty(win.AbortSignal.prototype, 'removeEventListener', { value: undefined, configurable: true, writable: true });
}

/** An AbortController whose signal has only what UXP documents (no events). */
export class UxpAbortController {
  readonly signal = new UxpAbortSignal();
  abort(reason?: unknown): void {
    this.signal.trip(reason);
  }
}

export class UxpAbortSignal {
  private state: { aborted: boolean; reason: unknown } = { aborted: false, reason: undefined };
  get aborted(): boolean {
    return this.state.aborted;
  }
  get reason(): unknown {
    return this.state.reason;
  }
  throwIfAborted(): void {
    if (this.state.aborted) throw this.state.reason;
  }
  trip(reason?: unknown): void {
    if (!this.state.aborted) this.state = { aborted: true, reason: reason ?? new Error('AbortError') };
  }
  /** As the real AbortSignal for code typed against DOM's. */
  asSignal(): AbortSignal {
    return this as unknown as AbortSignal;
  }
}

/**
 * A minimal element tree with only the DOM members UXP 7 has that the panel's widget helpers
 * use (attributes, appendChild/removeChild, firstChild, querySelector(All) by tag or #id,
 * textContent, ownerDocument.createElement), and none that it lacks.
 */
export class UxpElement {
  readonly children: UxpElement[] = [];
  parentNode: UxpElement | null = null;
  textContent = '';
  [prop: string]: unknown;
  private attributes = new Map<string, string>();

  constructor(readonly localName: string, readonly ownerDocument: { createElement(tag: string): UxpElement }) {}

  static document(): { createElement(tag: string): UxpElement } {
    const doc = { createElement: (tag: string) => new UxpElement(tag, doc) };
    return doc;
  }

  get firstChild(): UxpElement | null {
    return this.children[0] ?? null;
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  hasAttribute(name: string): boolean {
    return this.attributes.has(name);
  }
  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }
  appendChild(child: UxpElement): UxpElement {
    child.parentNode?.removeChild(child);
    child.parentNode = this;
    this.children.push(child);
    return child;
  }
  removeChild(child: UxpElement): UxpElement {
    const at = this.children.indexOf(child);
    if (at < 0) throw new Error('removeChild: not a child');
    this.children.splice(at, 1);
    child.parentNode = null;
    return child;
  }
  append(...nodes: UxpElement[]): void {
    for (const n of nodes) this.appendChild(n);
  }
  querySelectorAll(selector: string): UxpElement[] {
    const match = (e: UxpElement) => (selector.startsWith('#') ? e.getAttribute('id') === selector.slice(1) : e.localName === selector);
    const out: UxpElement[] = [];
    const walk = (e: UxpElement) => {
      for (const c of e.children) {
        if (match(c)) out.push(c);
        walk(c);
      }
    };
    walk(this);
    return out;
  }
  querySelector(selector: string): UxpElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
  /** As an HTMLElement for code typed against the DOM. */
  asElement(): HTMLElement {
    return this as unknown as HTMLElement;
  }
}
