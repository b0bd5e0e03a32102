import express, { type NextFunction, type Request, type Response } from 'express';
import {
  BridgeError,
  PROTOCOL_VERSION,
  parseClientMessage,
  toBridgeError,
  type GenerateMessage,
} from '@latent-bridge/shared';
import { createA1111Router } from '../a1111/index.js';
import type { A1111Remote } from '../a1111/remote.js';
import { tokenMatches } from '../config/token.js';
import { decodeImage, type Mask, type RgbaImage } from '../image/index.js';
import type { BridgeCore } from './bridge-core.js';
import type { EncodedImage, JobEnd, JobSink } from './job-types.js';
import type { OriginPolicy } from './origin-policy.js';

export interface HttpAppOptions {
  core: BridgeCore;
  token: string | null;
  serverName: string;
  origins: OriginPolicy;
  /** Where the A1111 API keeps its settings and styles.csv (in memory only when absent). */
  configDir?: string;
  /** More for /health: a queue front's role, queue depth, workers alive and jobs per state. */
  health?: () => Promise<Record<string, unknown>>;
  /** A queue front's: A1111 txt2img and img2img run on its workers. */
  a1111Remote?: A1111Remote;
}

interface HttpResult {
  index: number;
  seed: number;
  parameters: string;
  image: EncodedImage;
}

/**
 * The HTTP side: /health (open), and behind the bearer token /v1/models, /v1/capabilities and
 * POST /v1/jobs, a plain-HTTP fallback for clients without WebSockets. Every route checks the
 * Origin first, so a web page cannot use the bridge through fetch either.
 */
export function createHttpApp(options: HttpAppOptions): express.Express {
  const { core } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    if (options.origins.allowsRequest(req.headers.origin, req.headers.host)) return next();
    sendError(res, new BridgeError('forbidden_origin', `Requests from ${String(req.headers.origin ?? req.headers.host)} are not allowed; start the server with --allow-origin to allow it.`, 'origin'));
  });

  app.get('/health', (_req, res, next) => {
    const base = { ok: true, server: options.serverName, protocol: PROTOCOL_VERSION, state: core.state() };
    if (options.health === undefined) return void res.json(base);
    options.health().then((more) => res.json({ ...base, ...more }), next);
  });

  // A1111's /sdapi/v1 API checks the token itself: its clients send it as an HTTP Basic password.
  app.use(createA1111Router({ core, token: options.token, configDir: options.configDir, remote: options.a1111Remote }));

  app.use((req, res, next) => {
    if (options.token === null) return next();
    const header = req.headers.authorization ?? '';
    const presented = /^Bearer (.+)$/i.exec(header)?.[1];
    if (tokenMatches(presented, options.token)) return next();
    sendError(res, new BridgeError('unauthorized', 'Missing or wrong token: send Authorization: Bearer <token> (see `latent-bridge token`).', 'authorization'));
  });

  // Models and the extra networks (checkpoints to import, LoRAs, embeddings), as the models message has them.
  app.get('/v1/models', (_req, res, next) => {
    core.modelLists().then((lists) => res.json(lists), next);
  });

  app.get('/v1/capabilities', (_req, res, next) => {
    core.capabilities().then((capabilities) => res.json({ server: options.serverName, protocol: PROTOCOL_VERSION, capabilities }), next);
  });

  // Base64 grows bytes by 4/3; allow a full-size image and mask.
  const bodyLimit = Math.ceil((core.limits.maxFrameBytes * 4) / 3) * 2 + core.limits.maxMessageBytes;
  app.post('/v1/jobs', express.json({ limit: bodyLimit, strict: true }), (req, res, next) => {
    postJob(core, req, res).catch(next);
  });

  app.use((_req, res) => {
    sendError(res, new BridgeError('invalid_field', 'No such endpoint.', 'path'), 404);
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, httpError(err));
  });
  return app;
}

let httpJobs = 0;

async function postJob(core: BridgeCore, req: Request, res: Response): Promise<void> {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BridgeError('malformed_message', 'The body must be a JSON object (Content-Type: application/json).');
  }
  const { image: imageB64, mask: maskB64, ...fields } = body as Record<string, unknown>;
  if ('type' in fields || 'id' in fields) throw new BridgeError('invalid_field', 'type/id: not used over HTTP', 'type' in fields ? 'type' : 'id');
  const id = `http-${++httpJobs}`;
  // The same validation as the WebSocket path; frame ids 1 and 2 stand for the inline images.
  const msg = parseClientMessage(
    {
      ...fields,
      type: 'generate',
      id,
      ...(imageB64 !== undefined ? { image: { frame: 1 } } : {}),
      ...(maskB64 !== undefined ? { mask: { frame: 2 } } : {}),
    },
    core.limits,
  ) as GenerateMessage;
  const image = imageB64 === undefined ? undefined : await inlineImage(imageB64, 'image', core.limits.maxPixels);
  const maskImage = maskB64 === undefined ? undefined : await inlineImage(maskB64, 'mask', core.limits.maxPixels);
  const mask: Mask | undefined = maskImage === undefined ? undefined : { width: maskImage.width, height: maskImage.height, data: firstChannel(maskImage) };
  const spec = await core.prepare({ ...msg, preview: false }, image, mask);
  spec.resultFormat = 'png';
  const manyResults = spec.sequence !== undefined || (spec.request.batch ?? 1) > 1;

  const results: HttpResult[] = [];
  const clientId = id;
  let settled = false;
  const sink: JobSink = {
    started: () => undefined,
    progress: () => undefined,
    wantsPreview: () => false,
    preview: () => undefined,
    result: (index, seed, parameters, img) => void results.push({ index, seed, parameters, image: img }),
    finish: (end: JobEnd) => {
      if (settled) return;
      settled = true;
      core.queue.forget(clientId);
      if (res.headersSent || res.writableEnded) return;
      if (end.kind === 'error') return sendError(res, end.error);
      if (end.kind === 'cancelled') {
        return sendError(res, core.isStopping ? new BridgeError('shutting_down', 'The server is shutting down.') : new BridgeError('cancelled', 'The job was cancelled.'));
      }
      const first = results[0];
      // A job that can make several results (batch, animation, prompt list) always answers JSON,
      // so a client's parsing does not depend on how many came out.
      if (!manyResults && results.length === 1 && first !== undefined) {
        res.status(200).type('image/png').set('X-Seed', String(first.seed)).send(Buffer.from(first.image.payload));
        return;
      }
      res.json({
        results: results.map((r) => ({ index: r.index, seed: r.seed, width: r.image.width, height: r.image.height, parameters: r.parameters, png: Buffer.from(r.image.payload).toString('base64') })),
        timings: end.timings,
      });
    },
  };
  const { job } = core.submit(clientId, id, spec, sink);
  // Dropped without running (shutdown) or the caller went away: end the job either way.
  job.controller.signal.addEventListener('abort', () => {
    if (!core.queue.isRunning(job)) sink.finish({ kind: 'cancelled' });
  });
  res.on('close', () => {
    if (!settled) core.queue.cancel(id, clientId);
  });
}

async function inlineImage(value: unknown, field: string, maxPixels: number): Promise<RgbaImage> {
  if (typeof value !== 'string' || value.length === 0) throw new BridgeError('invalid_field', `${field}: must be a base64 PNG or JPEG`, field);
  const b64 = value.replace(/^data:[^,]*;base64,/, '');
  const bytes = Buffer.from(b64, 'base64');
  return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { maxPixels, field });
}

function firstChannel(image: RgbaImage): Uint8Array {
  const out = new Uint8Array(image.width * image.height);
  for (let i = 0; i < out.length; i++) out[i] = image.data[i * 4] as number;
  return out;
}

/** body-parser's own errors (bad JSON, too large) in catalogued terms. */
function httpError(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return new BridgeError('malformed_message', 'The body is not valid JSON.');
  if (type === 'entity.too.large') return new BridgeError('limit_exceeded', 'The body is over this server\'s size limit.');
  if (typeof type === 'string' && type.startsWith('entity.')) return new BridgeError('malformed_message', `The body could not be read (${type}).`);
  return toBridgeError(err);
}

function sendError(res: Response, e: BridgeError, status = e.status): void {
  if (res.headersSent) return;
  res.status(status).json(e.toJSON());
}
