import { BridgeError } from '@latent-bridge/shared';

/** An error that belongs to a job although it was thrown outside that job's handler. */
export class BridgeErrorWithId extends BridgeError {
  constructor(
    code: BridgeError['code'],
    message: string,
    field: string,
    readonly jobId: string,
  ) {
    super(code, message, field);
  }
}

/** The fields an `error` message carries for `e` (field only when it has one). */
export function errorFields(e: BridgeError): { code: BridgeError['code']; message: string; field?: string } {
  return e.field === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, field: e.field };
}
