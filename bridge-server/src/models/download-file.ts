/**
 * One resumable HTTP download into `<dest>.part`, checked against the expected size (and sha256
 * when known), then renamed into place. A dropped connection resumes with a Range request; a
 * server that ignores Range (answers 200) restarts the file from zero.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError, type ErrorCode } from '@latent-bridge/shared';

export interface DownloadRequest {
  url: string;
  dest: string;
  size: number;
  sha256: string | undefined;
  headers: Record<string, string>;
  /** Names the file in errors ("org/repo@main: unet/model.onnx"). */
  describe: string;
  /** Called with the bytes of this file on disk so far (may repeat a value, never decreases). */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
  /** Attempts in a row that make no progress before giving up. */
  retries?: number;
  retryDelayMs?: number;
  /** An attempt that receives nothing for this long is dropped and retried. */
  idleTimeoutMs?: number;
}

async function sizeOf(p: string): Promise<number | undefined> {
  const s = await stat(p).catch(() => undefined);
  return s?.isFile() ? s.size : undefined;
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

/** Errors that end the download at once: retrying cannot help. */
class FatalDownloadError extends Error {
  constructor(readonly error: BridgeError) {
    super(error.message);
  }
}

function fatal(req: DownloadRequest, code: ErrorCode, detail: string): FatalDownloadError {
  return new FatalDownloadError(new BridgeError(code, `${req.describe}: ${detail}`, req.describe));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Total size a response announces: Content-Range's "/total" or Content-Length (+ resume offset). */
function announcedTotal(res: Response, start: number): number | undefined {
  const range = res.headers.get('content-range');
  const total = range === null ? undefined : /\/(\d+)\s*$/.exec(range)?.[1];
  if (total !== undefined) return Number(total);
  // fetch decompresses transparently, so a compressed body's Content-Length says nothing.
  const encoding = res.headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return undefined;
  const length = res.headers.get('content-length');
  return length === null ? undefined : start + Number(length);
}

/**
 * One attempt: resumes from the .part file's current size and streams the rest. Resolves when the
 * body ended; throws FatalDownloadError for answers that retrying cannot fix, anything else for
 * connection trouble.
 */
async function attempt(req: DownloadRequest, part: string, report: (n: number) => void): Promise<void> {
  let start = (await sizeOf(part)) ?? 0;
  if (start > req.size) {
    await rm(part, { force: true });
    start = 0;
  }
  if (start === req.size) return;

  // A listener added to an already-aborted signal never fires: check first.
  req.signal?.throwIfAborted();
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const idleMs = req.idleTimeoutMs ?? 60_000;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };

  try {
    armIdle();
    // Byte ranges and sizes refer to the stored bytes: ask for them uncompressed.
    const headers = {
      ...req.headers,
      'accept-encoding': 'identity',
      ...(start > 0 ? { range: `bytes=${start}-` } : {}),
    };
    // fetch follows redirects and drops the Authorization header when one leaves the origin.
    const res = await fetch(req.url, { headers, signal: controller.signal, redirect: 'follow' });
    if (res.status === 404) {
      throw fatal(req, 'download_not_found', 'not found (HTTP 404)');
    }
    if (res.status === 401 || res.status === 403) {
      const hint = 'set HF_TOKEN for gated or private repos';
      throw fatal(req, 'download_failed', `access denied (HTTP ${res.status}); ${hint}`);
    }
    if (res.status === 416) {
      // Our .part no longer matches the remote file: start over.
      await rm(part, { force: true });
      throw new Error('range not satisfiable');
    }
    if (res.status !== 200 && res.status !== 206) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    const body = res.body;
    if (body === null) throw new Error('empty response');

    // 200 means the server ignored Range and sends the whole file: start the .part over.
    const offset = res.status === 200 ? 0 : start;
    if (res.status === 206 && !(res.headers.get('content-range') ?? '').startsWith(`bytes ${start}-`)) {
      await rm(part, { force: true });
      throw new Error(`unexpected Content-Range ${res.headers.get('content-range') ?? '(none)'}`);
    }
    const total = announcedTotal(res, offset);
    if (total !== undefined && total !== req.size) {
      throw fatal(req, 'download_size_mismatch', `the server sends ${total} bytes, the listing says ${req.size}`);
    }

    const fh = await open(part, offset === 0 ? 'w' : 'a');
    let written = offset;
    try {
      for await (const chunk of body) {
        armIdle();
        if (written + chunk.length > req.size) {
          throw fatal(req, 'download_size_mismatch', `the server sent more than the listed ${req.size} bytes`);
        }
        await fh.write(chunk);
        written += chunk.length;
        report(written);
      }
    } finally {
      await fh.close();
    }
    if (total === undefined && written !== req.size) {
      // The server ended a body of unknown length early and cleanly: it has no more to give.
      throw fatal(req, 'download_size_mismatch', `got ${written} bytes, the listing says ${req.size}`);
    }
  } finally {
    clearTimeout(idle);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

async function verifyAndPlace(req: DownloadRequest, part: string): Promise<void> {
  const size = await sizeOf(part);
  if (size !== req.size) {
    await rm(part, { force: true });
    throw fatal(req, 'download_size_mismatch', `got ${size ?? 0} bytes, expected ${req.size}`).error;
  }
  if (req.sha256 !== undefined) {
    const hash = createHash('sha256');
    await hashFile(part, hash);
    const actual = hash.digest('hex');
    if (actual !== req.sha256.toLowerCase()) {
      await rm(part, { force: true });
      // No catalogued checksum code: download_failed is the closest, and the message says why.
      const detail = `sha256 is ${actual}, expected ${req.sha256}; the corrupt download was deleted`;
      throw fatal(req, 'download_failed', detail).error;
    }
  }
  await rename(part, req.dest);
}

/** Downloads one file (skipping it when dest already has the expected size). */
export async function downloadFile(req: DownloadRequest): Promise<void> {
  if ((await sizeOf(req.dest)) === req.size) {
    req.onBytes?.(req.size);
    return;
  }
  await mkdir(path.dirname(req.dest), { recursive: true });
  const part = `${req.dest}.part`;
  let reported = 0;
  const report = (n: number): void => {
    // A restart from zero must not make progress run backwards.
    if (n > reported) reported = n;
    req.onBytes?.(reported);
  };
  report((await sizeOf(part)) ?? 0);

  const retries = req.retries ?? 5;
  let failures = 0;
  for (;;) {
    const before = (await sizeOf(part)) ?? 0;
    try {
      await attempt(req, part, report);
      if (((await sizeOf(part)) ?? 0) === req.size) break;
      throw new Error('connection closed early');
    } catch (err) {
      if (err instanceof FatalDownloadError) throw err.error;
      if (req.signal?.aborted) throw err;
      const after = (await sizeOf(part)) ?? 0;
      failures = after > before ? 1 : failures + 1;
      if (failures > retries) {
        const why = err instanceof Error ? err.message : String(err);
        throw fatal(req, 'download_failed', `failed after ${failures} attempts (${why}); run again to resume`).error;
      }
      await sleep((req.retryDelayMs ?? 1000) * failures, req.signal);
    }
  }
  await verifyAndPlace(req, part);
  report(req.size);
}
