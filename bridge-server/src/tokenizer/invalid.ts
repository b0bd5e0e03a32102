import { BridgeError } from '@latent-bridge/shared';

/** The one error this module throws for bad tokenizer data; `field` names the file or argument. */
export function tokenizerInvalid(field: string, message: string): BridgeError {
  return new BridgeError('tokenizer_invalid', `${field}: ${message}`, field);
}
