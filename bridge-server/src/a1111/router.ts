/**
 * AUTOMATIC1111's HTTP API (/sdapi/v1/*) on the bridge: the routes A1111 clients call, with its
 * request models, responses and errors, the token as HTTP Basic password or Bearer, and jobs in
 * the bridge's fair queue. The app's origin check runs before these routes, as for our own API.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { BridgeCore } from '../server/bridge-core.js';
import { a1111Auth } from './auth.js';
import { findCheckpoint, installedModel, listCheckpoints, pyRepr } from './checkpoints.js';
import { bodyParserError, httpException, pythonError, sendA1111Error } from './errors.js';
import type { FieldValue } from './fields.js';
import { a1111BodyLimit } from './limits.js';
import * as lists from './lists.js';
import { img2imgRoute, txt2imgRoute } from './routes-generate.js';
import { extraBatch, extraSingle, pngInfo, progress } from './routes-tools.js';
import type { A1111Remote } from './remote.js';
import { A1111Services } from './services.js';

export interface A1111RouterOptions {
  core: BridgeCore;
  token: string | null;
  /** Settings (a1111-options.json) and styles.csv live here. */
  configDir?: string | undefined;
  log?: (line: string) => void;
  /** A queue front's: txt2img and img2img run on its workers. */
  remote?: A1111Remote | undefined;
}

type Handler = (req: Request, res: Response) => Promise<unknown> | unknown;

/** Signals that the client went away before its answer (a queued job is then cancelled). */
function clientGone(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  req.on('aborted', () => controller.abort());
  return controller.signal;
}

/** A1111 clients have no session: a queue front keeps them fair by address. */
function clientOf(req: Request): string {
  return `a1111:${req.socket.remoteAddress ?? ''}`;
}

export function createA1111Router(options: A1111RouterOptions): express.Router {
  const svc = new A1111Services({
    core: options.core,
    token: options.token,
    configDir: options.configDir,
    ...(options.log ? { log: options.log } : {}),
    ...(options.remote !== undefined ? { remote: options.remote } : {}),
  });
  const router = express.Router({ caseSensitive: true, strict: false });
  const bodyLimit = a1111BodyLimit(options.core.limits);
  const json = express.json({ limit: bodyLimit, strict: false, type: () => true });

  const api = express.Router({ caseSensitive: true });
  api.use(a1111Auth(options.token));

  const routes: Array<[method: 'get' | 'post', path: string, handler: Handler, body?: boolean]> = [
    ['post', '/txt2img', (req, res) => txt2imgRoute(svc, req.body, clientGone(req, res), clientOf(req)), true],
    ['post', '/img2img', (req, res) => img2imgRoute(svc, req.body, clientGone(req, res), clientOf(req)), true],
    ['post', '/extra-single-image', (req) => extraSingle(svc, req.body), true],
    ['post', '/extra-batch-images', (req) => extraBatch(svc, req.body), true],
    ['post', '/png-info', (req) => pngInfo(svc, req.body), true],
    ['get', '/progress', (req) => progress(svc, String(req.query['skip_current_image'] ?? 'false').toLowerCase() === 'true')],
    ['post', '/interrupt', () => {
      svc.state.interrupt();
      return {};
    }],
    ['post', '/skip', () => {
      svc.state.skip();
      return null;
    }],
    ['get', '/options', async () => {
      const all = (await svc.settings()).all();
      all['sd_model_checkpoint'] = await svc.currentTitle();
      return all;
    }],
    ['post', '/options', (req) => setOptions(svc, req.body), true],
    ['get', '/cmd-flags', (req) => lists.cmdFlags(svc, req.socket.localPort)],
    ['get', '/samplers', () => lists.samplers()],
    ['get', '/schedulers', () => lists.schedulers()],
    ['get', '/upscalers', () => lists.upscalers()],
    ['get', '/latent-upscale-modes', () => lists.latentUpscaleModes()],
    ['get', '/sd-models', () => lists.sdModels(svc)],
    ['get', '/sd-vae', () => []],
    ['get', '/hypernetworks', () => []],
    ['get', '/face-restorers', () => []],
    ['get', '/realesrgan-models', () => []],
    ['get', '/prompt-styles', () => lists.promptStyles(svc)],
    ['get', '/embeddings', () => lists.embeddings(svc)],
    ['get', '/loras', () => lists.loras(svc)],
    ['post', '/refresh-loras', () => null],
    ['post', '/refresh-embeddings', () => null],
    ['post', '/refresh-vae', () => null],
    ['post', '/refresh-checkpoints', async () => {
      // The catalog rescans the model folder when its listing is older than a few seconds.
      await svc.core.catalog.list();
      return null;
    }],
    ['get', '/memory', () => lists.memory()],
    ['get', '/scripts', () => lists.scripts()],
    ['get', '/script-info', () => lists.scriptInfo()],
    ['get', '/extensions', () => []],
    ['post', '/unload-checkpoint', async () => {
      if (svc.core.queue.current === undefined) await svc.core.cache.clear();
      return {};
    }],
    ['post', '/reload-checkpoint', () => ({})],
    ['post', '/interrogate', () => {
      throw httpException(404, 'Model not found');
    }],
  ];

  const byPath = new Map<string, Set<string>>();
  for (const [method, path, handler, body] of routes) {
    byPath.set(path, (byPath.get(path) ?? new Set()).add(method.toUpperCase()));
    const run = async (req: Request, res: Response) => {
      try {
        const out = await handler(req, res);
        if (!res.headersSent) res.status(200).json(out ?? null);
      } catch (err) {
        sendA1111Error(res, err);
      }
    };
    if (body === true) api[method](path, json, run);
    else api[method](path, run);
  }
  // FastAPI: a known path with another method is 405, an unknown path 404.
  api.use((req, res) => {
    const allowed = byPath.get(req.path);
    if (allowed !== undefined) res.status(405).setHeader('Allow', [...allowed].join(', ')).json({ detail: 'Method Not Allowed' });
    else res.status(404).json({ detail: 'Not Found' });
  });
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendA1111Error(res, bodyParserError(err) ?? err);
  });

  router.use('/sdapi/v1', api);
  router.get('/internal/ping', a1111Auth(options.token), (_req, res) => {
    res.json({});
  });
  return router;
}

/** POST /options: A1111's set_config; an unknown sd_model_checkpoint is its RuntimeError. */
async function setOptions(svc: A1111Services, body: unknown): Promise<null> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw httpException(422, 'body: value is not a valid dict');
  const changes = body as Record<string, FieldValue>;
  const checkpoint = changes['sd_model_checkpoint'];
  if (checkpoint !== undefined && checkpoint !== null) {
    const all = await listCheckpoints(svc.core);
    const hit = typeof checkpoint === 'string' ? findCheckpoint(all, checkpoint) : undefined;
    if (hit === undefined) throw pythonError('RuntimeError', `model ${pyRepr(String(checkpoint))} not found`);
    // A1111 loads the checkpoint before answering; a folder file is imported here, once.
    const info = await installedModel(svc.core, hit);
    changes['sd_model_checkpoint'] = hit.info !== undefined ? hit.title : (findCheckpoint(await listCheckpoints(svc.core), info.name)?.title ?? info.name);
  }
  await (await svc.settings()).set(changes);
  return null;
}
