/**
 * The one catalog of error codes used across latent-bridge: pipeline, model store, server and
 * both plugins. Codes are stable strings (they go over the wire and into bug reports); add new
 * ones, never rename. `status` is the HTTP status the server answers with for that code.
 */
export const ERROR_CATALOG = {
  // Input validation (any layer)
  invalid_field: { status: 400, summary: 'A field has a wrong type or an out-of-range value.' },
  limit_exceeded: { status: 413, summary: 'A size, count or length is over a configured limit.' },
  // Models and runtime
  model_not_found: { status: 404, summary: 'No model with that name or folder.' },
  model_invalid: { status: 422, summary: 'A model folder is missing files or has corrupt ones.' },
  model_load_failed: { status: 500, summary: 'onnxruntime could not open a model file.' },
  tensor_mismatch: { status: 422, summary: 'A tensor does not match what the model declares.' },
  execution_provider_unavailable: { status: 501, summary: 'The requested execution provider is not available.' },
  inference_failed: { status: 500, summary: 'A model run failed inside onnxruntime.' },
  tokenizer_invalid: { status: 422, summary: 'Tokenizer files are missing or malformed.' },
  checkpoint_invalid: { status: 422, summary: 'A checkpoint file is truncated, corrupt or in a format that cannot be read.' },
  checkpoint_unsafe: { status: 422, summary: 'A checkpoint refers to code it has no reason to contain; it was refused and nothing in it was run.' },
  unknown_scheduler: { status: 400, summary: 'No scheduler with that name.' },
  scheduler_config_invalid: { status: 400, summary: 'A scheduler configuration value is not supported.' },
  prompt_syntax: { status: 400, summary: 'A prompt has a syntax error (weights, mixing).' },
  // Checkpoint import
  checkpoint_unsupported: { status: 422, summary: 'A file is not a model this bridge can import (a LoRA, a refiner, another architecture).' },
  import_failed: { status: 500, summary: 'A checkpoint import stopped (disk full, cancelled, write error); nothing was added.' },
  // Downloads
  download_failed: { status: 502, summary: 'A download failed or was interrupted.' },
  download_not_found: { status: 404, summary: 'The remote repository or file does not exist.' },
  download_size_mismatch: { status: 502, summary: 'A downloaded file does not have the announced size.' },
  // Images and masks
  image_invalid: { status: 400, summary: 'Image bytes could not be decoded or have wrong dimensions.' },
  mask_invalid: { status: 400, summary: 'A mask is empty or does not match its image.' },
  // Protocol and server
  protocol_version: { status: 426, summary: 'Client and server protocol versions are incompatible.' },
  malformed_message: { status: 400, summary: 'A message is not valid JSON or not an object.' },
  unknown_message_type: { status: 400, summary: 'A message has an unknown type.' },
  frame_invalid: { status: 400, summary: 'A binary frame is truncated or its header disagrees with its bytes.' },
  frame_missing: { status: 400, summary: 'A message refers to a binary frame that was never sent.' },
  hello_required: { status: 400, summary: 'The first message on a connection must be hello.' },
  unauthorized: { status: 401, summary: 'Missing or wrong token.' },
  forbidden_origin: { status: 403, summary: 'Requests from this browser origin are not allowed.' },
  job_not_found: { status: 404, summary: 'No job with that id belongs to this client.' },
  queue_full: { status: 429, summary: 'Too many queued jobs for this client.' },
  cancelled: { status: 409, summary: 'The job was cancelled.' },
  shutting_down: { status: 503, summary: 'The server is shutting down.' },
  // Plugins (host side)
  host_unsupported: { status: 400, summary: 'The document mode or state is not supported.' },
  document_changed: { status: 409, summary: 'The document was closed or resized during the job.' },
  bridge_unreachable: { status: 503, summary: 'The bridge server cannot be reached.' },
  internal: { status: 500, summary: 'An unexpected internal error.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOG, value);
}

/** The error every latent-bridge layer throws: a catalogued code, a message for people, the field. */
export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'BridgeError';
    this.code = code;
    this.field = field;
  }

  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

/** Shorthand for the most common case: a field with a bad value. */
export function invalidField(field: string, message: string): BridgeError {
  return new BridgeError('invalid_field', `${field}: ${message}`, field);
}

/** Wraps anything thrown into a BridgeError, keeping catalogued errors as they are. */
export function toBridgeError(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err;
  if (err instanceof Error && err.name === 'AbortError') return new BridgeError('cancelled', 'The job was cancelled.');
  const message = err instanceof Error ? err.message : String(err);
  return new BridgeError('internal', message);
}
