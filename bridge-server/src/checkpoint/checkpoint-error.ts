/**
 * The typed errors of the checkpoint readers: a catalogued BridgeError that also carries the file
 * and, where one is involved, the tensor or key, so callers can report them without parsing text.
 */
import { BridgeError } from '@latent-bridge/shared';

export type CheckpointErrorCode = 'checkpoint_invalid' | 'checkpoint_unsafe';

export class CheckpointError extends BridgeError {
  readonly file: string;
  readonly key: string | undefined;

  constructor(code: CheckpointErrorCode, file: string, message: string, key?: string) {
    super(code, key === undefined ? `${file}: ${message}` : `${file}, key "${key}": ${message}`);
    this.name = 'CheckpointError';
    this.file = file;
    this.key = key;
  }
}

/** A file that is truncated, corrupt or in a format the readers refuse. */
export function invalidCheckpoint(file: string, message: string, key?: string): CheckpointError {
  return new CheckpointError('checkpoint_invalid', file, message, key);
}
