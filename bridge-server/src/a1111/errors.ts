/**
 * Errors in the shapes A1111's FastAPI app answers with. Its exception handler (modules/api/api.py
 * api_middleware) turns every exception into
 *   { "error": type(e).__name__, "detail": e.detail or "", "body": e.body or "", "errors": str(e) }
 * with e.status_code or 500; str(HTTPException) is "<status>: <detail>". Request bodies that fail
 * pydantic validation get FastAPI's own 422 { "detail": [{ loc, msg, type }] }, and unknown paths
 * its 404 { "detail": "Not Found" }.
 */
import type { Response } from 'express';
import { BridgeError, toBridgeError } from '@latent-bridge/shared';

/** What A1111 raises: an HTTPException (status + detail) or a plain Python exception (500). */
export class A1111Error extends Error {
  constructor(
    readonly status: number,
    /** The Python exception class A1111 names in "error" (HTTPException, RuntimeError, IndexError, …). */
    readonly errorType: string,
    /** HTTPException's detail; empty for plain exceptions. */
    readonly detail: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'A1111Error';
  }

  body(): { error: string; detail: string; body: string; errors: string } {
    return { error: this.errorType, detail: this.detail, body: '', errors: this.message };
  }
}

/** FastAPI's HTTPException(status_code, detail): errors = "<status>: <detail>". */
export function httpException(status: number, detail: string, headers: Record<string, string> = {}): A1111Error {
  return new A1111Error(status, 'HTTPException', detail, `${status}: ${detail}`, headers);
}

/** A Python exception escaping A1111's processing: status 500, no detail, str(e) in errors. */
export function pythonError(errorType: string, message: string): A1111Error {
  return new A1111Error(500, errorType, '', message);
}

/** One pydantic (v1) validation problem, as FastAPI lists them. */
export interface ValidationIssue {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

/** The 422 FastAPI sends when the body does not fit the pydantic model; every bad field at once. */
export class A1111ValidationError extends Error {
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
    this.name = 'A1111ValidationError';
  }
}

/**
 * Errors from the bridge in A1111's shape: what a client could fix (4xx: a field, a size, a limit)
 * as an HTTPException with our message as detail, failures inside the run (5xx) as the RuntimeError
 * A1111 would let escape from processing.
 */
export function fromBridgeError(e: BridgeError): A1111Error {
  if (e.status >= 500) return pythonError('RuntimeError', e.message);
  return httpException(e.status, e.message);
}

export function sendA1111Error(res: Response, err: unknown): void {
  if (res.headersSent) return;
  if (err instanceof A1111ValidationError) {
    res.status(422).json({ detail: err.issues });
    return;
  }
  const e = err instanceof A1111Error ? err : fromBridgeError(err instanceof BridgeError ? err : toBridgeError(err));
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.status(e.status).json(e.body());
}

/** body-parser's failures in FastAPI's terms: unreadable JSON is a 422 json-decode issue. */
export function bodyParserError(err: unknown): A1111ValidationError | A1111Error | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') {
    const message = err instanceof Error ? err.message : 'Expecting value';
    return new A1111ValidationError([{ loc: ['body', 0], msg: message, type: 'value_error.jsondecode' }]);
  }
  if (type === 'entity.too.large') return httpException(413, "The body is over this server's size limit.");
  if (typeof type === 'string' && type.startsWith('entity.')) return httpException(400, `The body could not be read (${type}).`);
  return undefined;
}
