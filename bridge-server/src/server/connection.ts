import type { WebSocket, RawData } from 'ws';
import {
  BridgeError,
  CLIENT_FRAME_KINDS,
  decodeFrame,
  JOB_ID_PATTERN,
  messageJobId,
  parseClientMessage,
  peekFrameIds,
  toBridgeError,
  type GenerateMessage,
  type ProtocolRange,
  type ServerMessage,
} from '@latent-bridge/shared';
import type { BridgeCore } from './bridge-core.js';
import { imageFromFrame, maskFromFrame } from './frame-images.js';
import { FrameStore } from './frame-store.js';
import { acceptHello } from './hello.js';
import type { QueuedJob } from './job-queue.js';
import type { JobEnd, JobSink, QueuedPayload } from './job-types.js';
import { SocketSender } from './socket-sender.js';

export interface ConnectionOptions {
  core: BridgeCore;
  token: string | null;
  serverName: string;
  protocolRange: ProtocolRange;
  helloTimeoutMs: number;
  /** Previews are skipped while more than this many bytes wait to go out on the socket. */
  previewBacklogBytes: number;
}

/** Close codes (RFC 6455): policy violation, going away. */
export const CLOSE_POLICY = 1008;
export const CLOSE_GOING_AWAY = 1001;

interface ConnJob {
  state: 'preparing' | 'queued' | 'running';
  handle: QueuedJob<QueuedPayload> | undefined;
  ended: boolean;
}

/** Messages a client may send before its welcome arrives (a frame, a generate, …). */
const MAX_BACKLOG = 64;

const FATAL_CODES = new Set(['hello_required', 'unauthorized', 'protocol_version']);

/**
 * One client's WebSocket: hello first, then jobs. Every handler runs inside try/catch and turns
 * anything thrown into an `error` message; nothing a client sends can take the process down.
 */
export class ClientConnection {
  readonly clientId: string;
  /** hello → welcoming (capabilities being gathered) → ready; closed at any time. */
  private phase: 'hello' | 'welcoming' | 'ready' | 'closed' = 'hello';
  /** Messages that arrive while the welcome is being prepared; answered after it, in order. */
  private backlog: Array<{ data: RawData; isBinary: boolean }> = [];
  private readonly jobs = new Map<string, ConnJob>();
  private readonly frames: FrameStore;
  private readonly out: SocketSender;
  private readonly helloTimer: NodeJS.Timeout;
  /** Drops unclaimed frames past their TTL even when the client sends nothing more. */
  private readonly frameSweep: NodeJS.Timeout;

  constructor(
    ws: WebSocket,
    clientId: string,
    private readonly options: ConnectionOptions,
  ) {
    this.clientId = clientId;
    this.out = new SocketSender(ws);
    this.frames = new FrameStore(options.core.limits);
    this.helloTimer = setTimeout(() => this.fatal(new BridgeError('hello_required', 'No hello within the time allowed.')), options.helloTimeoutMs);
    this.helloTimer.unref();
    this.frameSweep = setInterval(() => this.frames.expire(), Math.max(1000, options.core.limits.frameTtlMs / 2));
    this.frameSweep.unref();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', () => this.onClose());
  }

  get isOpen(): boolean {
    return this.phase !== 'closed';
  }

  /** Server shutdown: tell the client, then close with 1001 (going away). */
  shutdown(): void {
    if (this.phase === 'closed') return;
    this.out.send({ type: 'error', code: 'shutting_down', message: 'The bridge server is shutting down.' });
    this.phase = 'closed';
    this.dropEverything();
    this.out.close(CLOSE_GOING_AWAY, 'shutting down');
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    try {
      if (this.phase === 'closed') return;
      if (this.phase === 'welcoming') {
        if (this.backlog.length >= MAX_BACKLOG) throw new BridgeError('limit_exceeded', 'Too many messages before the welcome; wait for it.');
        this.backlog.push({ data, isBinary });
        return;
      }
      const bytes = toBuffer(data);
      if (this.phase === 'hello') {
        if (isBinary) throw new BridgeError('hello_required', 'The first message on a connection must be hello, not a binary frame.');
        this.onHello(bytes);
      } else if (isBinary) {
        this.onFrame(bytes);
      } else {
        this.onText(bytes);
      }
    } catch (err) {
      this.reportError(err, undefined);
    }
  }

  private onHello(bytes: Buffer): void {
    const { core, protocolRange, token, serverName } = this.options;
    const negotiated = acceptHello(bytes, core.limits, protocolRange, token);
    clearTimeout(this.helloTimer);
    this.phase = 'welcoming';
    void core.capabilities().then(
      (capabilities) => {
        if (this.phase !== 'welcoming') return;
        this.out.send({ type: 'welcome', server: serverName, protocol: negotiated, capabilities });
        this.phase = 'ready';
        const backlog = this.backlog;
        this.backlog = [];
        for (const m of backlog) this.onMessage(m.data, m.isBinary);
      },
      (err: unknown) => this.fatal(toBridgeError(err)),
    );
  }

  private onText(bytes: Buffer): void {
    const { core } = this.options;
    if (bytes.length > core.limits.maxMessageBytes) {
      throw new BridgeError('limit_exceeded', `Message of ${bytes.length} bytes is over this server's limit of ${core.limits.maxMessageBytes}.`);
    }
    const text = bytes.toString('utf8');
    let msg;
    try {
      msg = parseClientMessage(text, core.limits);
    } catch (err) {
      const id = messageJobId(text);
      if (id !== undefined && !this.jobs.has(id)) this.frames.dropUnclaimed(id);
      this.reportError(err, id);
      return;
    }
    switch (msg.type) {
      case 'hello':
        throw new BridgeError('invalid_field', 'type: hello was already accepted on this connection', 'type');
      case 'generate':
        this.onGenerate(msg);
        return;
      case 'cancel':
        this.onCancel(msg.id);
        return;
      case 'list-models':
        void core.catalog.list().then(
          (models) => this.out.send({ type: 'models', models }),
          (err: unknown) => this.reportError(err, undefined),
        );
        return;
      case 'status':
        this.sendStatus();
        return;
    }
  }

  private onFrame(bytes: Buffer): void {
    const { core } = this.options;
    try {
      this.frames.add(decodeFrame(bytes, core.limits, CLIENT_FRAME_KINDS));
    } catch (err) {
      this.reportError(err, peekFrameIds(bytes).jobId);
    }
  }

  private onGenerate(msg: GenerateMessage): void {
    const { core } = this.options;
    const id = msg.id;
    try {
      if (this.jobs.has(id)) throw new BridgeError('invalid_field', `id: job "${id}" is still unfinished on this connection`, 'id');
      if (core.isStopping) throw new BridgeError('shutting_down', 'The server is shutting down; no new jobs are taken.');
      if (this.jobs.size >= core.limits.maxQueuePerClient) {
        throw new BridgeError('queue_full', `At most ${core.limits.maxQueuePerClient} unfinished jobs per client; wait for one to finish.`, 'id');
      }
      core.checkScheduler(msg.scheduler);
    } catch (err) {
      this.frames.dropUnclaimed(id);
      this.reportError(err, id);
      return;
    }
    let imageFrame;
    let maskFrame;
    try {
      imageFrame = msg.image !== undefined ? this.frames.claim(msg.image.frame, id, 'image', 'image') : undefined;
      maskFrame = msg.mask !== undefined ? this.frames.claim(msg.mask.frame, id, 'mask', 'mask') : undefined;
    } catch (err) {
      this.frames.release(id);
      this.frames.dropUnclaimed(id);
      this.reportError(err, id);
      return;
    }
    const entry: ConnJob = { state: 'preparing', handle: undefined, ended: false };
    this.jobs.set(id, entry);
    void (async () => {
      const maxPixels = core.limits.maxPixels;
      const image = imageFrame !== undefined ? await imageFromFrame(imageFrame, maxPixels) : undefined;
      const mask = maskFrame !== undefined ? await maskFromFrame(maskFrame, maxPixels) : undefined;
      if (image !== undefined && mask !== undefined && (image.width !== mask.width || image.height !== mask.height)) {
        throw new BridgeError('mask_invalid', `mask: ${mask.width}×${mask.height} does not match the image's ${image.width}×${image.height}`, 'mask');
      }
      const spec = await core.prepare(msg, image, mask);
      if (entry.ended || this.phase === 'closed') return;
      const { job, position } = core.submit(this.clientId, id, spec, this.sinkFor(id, entry));
      entry.state = 'queued';
      entry.handle = job;
      this.out.send({ type: 'queued', id, position });
    })().catch((err: unknown) => {
      if (!entry.ended) this.endJob(id, { type: 'error', id, ...errorFields(toBridgeError(err)) });
    });
  }

  private onCancel(id: string): void {
    const entry = this.jobs.get(id);
    if (entry === undefined || entry.ended) {
      throw new BridgeErrorWithId('job_not_found', `No unfinished job ${id}.`, 'id', id);
    }
    if (entry.state === 'preparing') {
      this.endJob(id, { type: 'cancelled', id });
      return;
    }
    const queue = this.options.core.queue;
    const running = queue.current !== undefined && queue.current === entry.handle;
    queue.cancel(id, this.clientId);
    // A waiting job never reaches the runner, so it ends here; a running one ends when the
    // pipeline notices the abort (between steps) and the runner reports it.
    if (!running) this.endJob(id, { type: 'cancelled', id });
  }

  private sinkFor(id: string, entry: ConnJob): JobSink {
    const live = () => !entry.ended && this.phase === 'ready';
    return {
      started: () => {
        if (!live()) return;
        entry.state = 'running';
        this.out.send({ type: 'started', id });
      },
      progress: (step, total, etaMs) => {
        if (live()) this.out.send({ type: 'progress', id, step, total, ...(etaMs !== undefined ? { etaMs } : {}) });
      },
      wantsPreview: () => live() && this.out.bufferedAmount <= this.options.previewBacklogBytes,
      preview: (index, step, image) => {
        if (live()) this.out.sendImage('preview', { id, index, step }, image);
      },
      result: (index, seed, parameters, image) => {
        if (live()) this.out.sendImage('result', { id, index, seed, parameters }, image);
      },
      finish: (end: JobEnd) => {
        if (entry.ended) return;
        if (end.kind === 'done') this.endJob(id, { type: 'done', id, results: end.results, timings: end.timings });
        else if (end.kind === 'cancelled') this.endJob(id, { type: 'cancelled', id });
        else this.endJob(id, { type: 'error', id, ...errorFields(end.error) });
      },
    };
  }

  /** Sends a job's one terminal message and forgets the job and its frames. */
  private endJob(id: string, message: ServerMessage): void {
    const entry = this.jobs.get(id);
    if (entry === undefined || entry.ended) return;
    entry.ended = true;
    this.jobs.delete(id);
    this.frames.release(id);
    this.out.send(message);
  }

  private sendStatus(): void {
    const { core } = this.options;
    const jobs: { id: string; state: 'queued' | 'running'; position: number }[] = [];
    for (const [id, entry] of this.jobs) {
      if (entry.handle === undefined) continue;
      const position = Math.max(0, core.queue.positionOf(entry.handle));
      jobs.push({ id, state: core.queue.current === entry.handle ? 'running' : 'queued', position });
    }
    this.out.send({
      type: 'status',
      state: core.state(),
      queueLength: core.queueLength(),
      jobs,
      loadedModel: core.cache.loadedNames.at(-1) ?? null,
      uptimeMs: Date.now() - core.startedAt,
    });
  }

  private reportError(err: unknown, id: string | undefined): void {
    const e = toBridgeError(err);
    let jobId = err instanceof BridgeErrorWithId ? err.jobId : id;
    // An error with a job's id ends that job for the client; one about a stray message that merely
    // names an unfinished job (a duplicate id, a bad frame for it) must not, so it goes without id;
    // so does an id that is not a valid job id (it could not address a job anyway).
    if (jobId !== undefined && (this.jobs.has(jobId) || !JOB_ID_PATTERN.test(jobId))) jobId = undefined;
    if (this.phase === 'hello' || FATAL_CODES.has(e.code)) {
      this.fatal(e);
      return;
    }
    this.out.send({ type: 'error', ...(jobId !== undefined ? { id: jobId } : {}), ...errorFields(e) });
  }

  /** hello_required, unauthorized, protocol_version: answer, then close with 1008. */
  private fatal(e: BridgeError): void {
    if (this.phase === 'closed') return;
    this.out.send({ type: 'error', ...errorFields(e) });
    this.phase = 'closed';
    this.dropEverything();
    this.out.close(CLOSE_POLICY, e.code);
  }

  private onClose(): void {
    this.phase = 'closed';
    this.dropEverything();
  }

  private dropEverything(): void {
    clearTimeout(this.helloTimer);
    clearInterval(this.frameSweep);
    this.backlog = [];
    this.options.core.queue.cancelClient(this.clientId);
    for (const entry of this.jobs.values()) entry.ended = true;
    this.jobs.clear();
    this.frames.clear();
  }
}

/** An error that belongs to a job although it was thrown outside that job's handler. */
class BridgeErrorWithId extends BridgeError {
  constructor(
    code: BridgeError['code'],
    message: string,
    field: string,
    readonly jobId: string,
  ) {
    super(code, message, field);
  }
}

function errorFields(e: BridgeError): { code: BridgeError['code']; message: string; field?: string } {
  return e.field === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, field: e.field };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
