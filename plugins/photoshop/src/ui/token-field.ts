import { byId, setText, textOf } from './widgets.js';

/** Where the panel remembers the address, token and last settings (localStorage in UXP). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem?(key: string): void;
}

/**
 * Where the token lives: UXP's storage.secureStorage (host/secure-store.ts), encrypted per user,
 * never localStorage. Asynchronous like the real one.
 */
export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

const KEY_URL = 'latent-bridge.url';
export const KEY_TOKEN = 'latent-bridge.token';
const TOKEN_EMPTY = 'latent-bridge token';
const TOKEN_SAVED = 'Token saved · paste a new one to replace it';

/**
 * The token field. It is a plain text field (a password field's value cannot be read on macOS):
 * once entered, the token goes to UXP's secure storage and the field is emptied again; it is
 * never kept in localStorage.
 */
export class TokenField {
  value = '';

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: { store: KeyValueStore; secrets: SecretStore; configureClient(url: string, token: string): void },
    private readonly showError: (err: unknown) => void,
  ) {}

  async save(): Promise<void> {
    const field = byId(this.root, 'token');
    const token = textOf(field).trim();
    if (token === '') return;
    try {
      await this.deps.secrets.set(KEY_TOKEN, token);
    } catch (err) {
      this.showError(new Error(`The token could not be saved in secure storage: ${err instanceof Error ? err.message : String(err)}`));
    }
    this.value = token;
    setText(field, '');
    field.setAttribute('placeholder', TOKEN_SAVED);
    this.deps.configureClient(this.url(), token);
  }

  /** Reads the token from secure storage; a token left in localStorage by 0.1 moves there. */
  async load(): Promise<void> {
    const old = this.deps.store.getItem(KEY_TOKEN);
    let token = await this.deps.secrets.get(KEY_TOKEN).catch(() => null);
    if (old) {
      if (!token) {
        token = old;
        await this.deps.secrets.set(KEY_TOKEN, old).catch(() => undefined);
      }
      this.deps.store.removeItem?.(KEY_TOKEN);
    }
    this.value = token ?? '';
    byId(this.root, 'token').setAttribute('placeholder', this.value ? TOKEN_SAVED : TOKEN_EMPTY);
    if (this.value) this.deps.configureClient(this.url(), this.value);
  }

  private url(): string {
    return textOf(byId(this.root, 'server-url')).trim() || (this.deps.store.getItem(KEY_URL) ?? '');
  }
}
