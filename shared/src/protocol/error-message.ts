import { toBridgeError } from '../errors.js';
import type { ErrorMessage } from './server-messages.js';

/** The `error` message for anything thrown, addressed to a job when the id is known. */
export function errorMessage(err: unknown, id?: string): ErrorMessage {
  const { code, message, field } = toBridgeError(err).toJSON();
  const out: ErrorMessage = { type: 'error', code, message };
  if (id !== undefined) out.id = id;
  if (field !== undefined) out.field = field;
  return out;
}
