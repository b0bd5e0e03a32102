import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  BridgeError,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  resolveLimits,
  type Limits,
  type ProtocolRange,
} from '@latent-bridge/shared';
import { defaultConfigDir } from '../config/config-dir.js';
import { loadOrCreateToken } from '../config/token.js';
import type { ExecutionProvider } from '../runtime/index.js';
import type { Residency } from '../pipeline/loaded-model.js';
import { BridgeCore } from './bridge-core.js';
import { ClientConnection } from './connection.js';
import { createHttpApp } from './http-app.js';
import { ModelCache } from './model-cache.js';
import { isLoopbackAddress, OriginPolicy } from './origin-policy.js';
import { SERVER_NAME } from './version.js';
import { localCore } from './local-core.js';
import { QueueFront, type QueueFrontOptions } from '../cluster/front.js';
import { FrontA1111 } from '../cluster/a1111-remote.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7450;
export const WS_PATH = '/ws';
export { DEFAULT_MODEL_BUDGET_BYTES } from './local-core.js';

export interface BridgeServerOptions {
  /** Default 127.0.0.1: only this machine can connect. */
  host?: string;
  /** Default 7450; 0 picks a free port. */
  port?: number;
  /** A string: that token; null: no token at all; absent: the token in the config dir (created on first run). */
  token?: string | null;
  /** Default: defaultConfigDir() ($LATENT_BRIDGE_CONFIG_DIR, $XDG_CONFIG_HOME/latent-bridge, …). */
  configDir?: string;
  /** The model folder; default the model store's default root. */
  modelsDir?: string;
  /** Checkpoint files clients may import (import-model) and name in generate (imported on first use); default "checkpoints" beside the model folder. */
  checkpointsDir?: string;
  /** LoRA files generate.loras and <lora:…> tags name (an A1111 models/Lora works); default "loras" beside the checkpoints folder. */
  lorasDir?: string;
  /** Textual-inversion embeddings (an A1111 embeddings folder works); default "embeddings" beside the checkpoints folder. */
  embeddingsDir?: string;
  /** true: always offer the demo models; false: never; 'auto' (default): when the model folder has none. */
  demo?: boolean | 'auto';
  /** Web origins (http/https) allowed besides the non-browser ones, e.g. "http://localhost:5173". */
  allowOrigins?: readonly string[];
  provider?: ExecutionProvider;
  threads?: number;
  /** Root folder for onnxruntime's optimized-model caches (LoadOptions.optimizedCacheDir); default none. */
  optimizedCacheDir?: string;
  /** 'resident' keeps every session open through decodes (LoadOptions.residency; default 'lean'). */
  residency?: Residency;
  limits?: Partial<Limits>;
  /** Memory budget for loaded models, in model-file bytes (LRU beyond it). */
  modelBudgetBytes?: number;
  /** Protocol versions accepted; default MIN_PROTOCOL_VERSION..PROTOCOL_VERSION. */
  protocolRange?: ProtocolRange;
  /** A connection that sends no hello within this long is closed (default 10 s). */
  helloTimeoutMs?: number;
  /**
   * redis://host:port: run as a queue front. Jobs go on the shared BullMQ queue in that Redis and
   * run on `latent-bridge worker` processes; absent, the bridge runs every job itself.
   */
  queue?: string;
  /** Key prefix in that Redis (default "lb"). */
  queuePrefix?: string;
  /** A front's timings (blob expiry, poll, liveness); defaults suit production. */
  queueTuning?: Pick<QueueFrontOptions, 'blobTtlMs' | 'pollMs' | 'frontTtlMs'>;
  /** Progress lines for people (the CLI passes console.error); default silent. */
  log?: (line: string) => void;
}

export interface BridgeStats {
  connections: number;
  queueLength: number;
  loadedModels: string[];
}

export interface RunningBridge {
  /** http://host:port */
  url: string;
  /** ws://host:port/ws */
  wsUrl: string;
  port: number;
  token: string | null;
  /** Names offered to clients (model folder and demo models). */
  models: string[];
  stats(): BridgeStats;
  /** Graceful stop: refuse new work, cancel queued jobs, abort the running one, close sockets. */
  close(): Promise<void>;
}

/** Starts the bridge: HTTP and the WebSocket at /ws on one port. */
export async function startBridgeServer(options: BridgeServerOptions = {}): Promise<RunningBridge> {
  const log = options.log ?? (() => undefined);
  const limits = resolveLimits(options.limits);
  const configDir = options.configDir ?? defaultConfigDir();
  const token = options.token === undefined ? await loadOrCreateToken(configDir) : options.token;
  let front: QueueFront | undefined;
  let core: BridgeCore;
  if (options.queue !== undefined) {
    // A queue front: no models of its own; its workers' models, jobs and results go through Redis.
    front = await QueueFront.start({
      ...options.queueTuning,
      queue: options.queue,
      limits,
      ...(options.queuePrefix !== undefined ? { prefix: options.queuePrefix } : {}),
    });
    const frontCore = new BridgeCore({ limits, catalog: front.catalog, cache: new ModelCache(0), dispatcher: front, checkpoints: { folder: front.checkpoints, imports: front.checkpoints }, loras: front.loras });
    front.onModelsChanged(() => frontCore.modelsChanged());
    core = frontCore;
  } else {
    core = (await localCore(options, limits, configDir, log)).core;
  }
  const host = options.host ?? DEFAULT_HOST;
  const origins = new OriginPolicy(options.allowOrigins ?? [], isLoopbackAddress(host), token !== null);
  const protocolRange = options.protocolRange ?? { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION };

  const queueFront = front;
  const app = createHttpApp({
    core,
    token,
    serverName: SERVER_NAME,
    origins,
    configDir,
    ...(queueFront !== undefined ? { health: async () => ({ role: 'front', id: queueFront.id, queue: await queueFront.health() }), a1111Remote: new FrontA1111(queueFront) } : {}),
  });
  const server = createServer(app);
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // A little over the frame limit, so a frame just over it is answered with frame_invalid, not a dropped socket.
    maxPayload: Math.max(limits.maxFrameBytes, limits.maxMessageBytes) + 64 * 1024,
  });
  const connections = new Set<ClientConnection>();
  let nextClient = 0;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (pathname !== WS_PATH) return refuseUpgrade(socket, 404, new BridgeError('invalid_field', `The WebSocket lives at ${WS_PATH}.`, 'path'));
      if (core.isStopping) return refuseUpgrade(socket, 503, new BridgeError('shutting_down', 'The server is shutting down.'));
      if (!origins.allowsRequest(req.headers.origin, req.headers.host)) {
        return refuseUpgrade(socket, 403, new BridgeError('forbidden_origin', `WebSocket connections from ${String(req.headers.origin)} are not allowed.`, 'origin'));
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const connection = new ClientConnection(ws, `ws-${++nextClient}`, {
          core,
          token,
          serverName: SERVER_NAME,
          protocolRange,
          helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
          previewBacklogBytes: 8 * 1024 * 1024,
        });
        connections.add(connection);
        const unsubscribe = core.onModelsChanged(() => connection.sendModels());
        ws.on('close', () => {
          connections.delete(connection);
          unsubscribe();
        });
      });
    } catch {
      socket.destroy();
    }
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const models = (await core.catalog.list()).map((m) => m.name);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= shutdown(server, wss, core, connections).then(() => front?.close());
    return closing;
  };
  return {
    url: `http://${hostInUrl}:${port}`,
    wsUrl: `ws://${hostInUrl}:${port}${WS_PATH}`,
    port,
    token,
    models,
    stats: () => ({ connections: connections.size, queueLength: core.queueLength(), loadedModels: core.cache.loadedNames }),
    close,
  };
}

async function shutdown(server: Server, wss: WebSocketServer, core: BridgeCore, connections: Set<ClientConnection>): Promise<void> {
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  // Connections first: each of their unfinished jobs gets its shutting_down error before the
  // queue's abort could report it as cancelled.
  for (const c of connections) c.shutdown();
  const coreClosed = core.close();
  await coreClosed;
  // Clients that do not finish the close handshake promptly are cut off.
  const deadline = Date.now() + 1000;
  while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.closeAllConnections();
  await stopped;
}

function refuseUpgrade(socket: Duplex, status: number, e: BridgeError): void {
  const body = JSON.stringify(e.toJSON());
  const reason = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status] ?? 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
