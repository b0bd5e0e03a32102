import type { SecretStore } from '../ui/token-field.js';
import type { UxpApi } from './ps-api.js';

/**
 * The panel's SecretStore over UXP's storage.secureStorage (uxp-api reference-js Modules/uxp
 * Key-Value Storage/SecureStorage): values are encrypted with the user's credentials. getItem
 * resolves a Uint8Array (or rejects when nothing is stored); setItem rejects an empty value.
 */
export function uxpSecretStore(uxp: UxpApi): SecretStore {
  const secure = uxp.storage.secureStorage;
  return {
    async get(key) {
      let bytes: Uint8Array | null | undefined;
      try {
        bytes = await secure.getItem(key);
      } catch {
        return null;
      }
      if (!bytes || bytes.length === 0) return null;
      return new TextDecoder().decode(bytes);
    },
    async set(key, value) {
      await secure.setItem(key, value);
    },
  };
}
