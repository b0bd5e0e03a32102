import type { WebSocket, RawData } from 'ws';
import { BridgeError, JOB_ID_PATTERN, messageJobId, parseClientMessage, toBridgeError, type ProtocolRange } from '@latent-bridge/shared';
import type { BridgeCore } from './bridge-core.js';
import { BridgeErrorWithId, errorFields } from './connection-errors.js';
import { ConnectionJobs } from './connection-jobs.js';
import { clientFrameJobId, decodeClientFrame, toBuffer } from './frame-intake.js';
import { FrameStore } from './frame-store.js';
import { acceptHello } from './hello.js';
import { SocketSender, type FrameEncoder } from './socket-sender.js';

export interface ConnectionOptions {
  core: BridgeCore;
  token: string | null;
  serverName: string;
  protocolRange: ProtocolRange;
  helloTimeoutMs: number;
  /** Previews are skipped while more than this many bytes wait to go out on the socket. */
  previewBacklogBytes: number;
  /** Builds the preview and result frames; default shared's encoder. */
  frameEncoder?: FrameEncoder;
}

/** Close codes (RFC 6455): policy violation, going away. */
export const CLOSE_POLICY = 1008;
export const CLOSE_GOING_AWAY = 1001;

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
  private readonly jobs: ConnectionJobs;
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
    this.out = new SocketSender(ws, options.frameEncoder);
    this.frames = new FrameStore(options.core.limits);
    this.jobs = new ConnectionJobs({
      core: options.core,
      clientId,
      out: this.out,
      frames: this.frames,
      previewBacklogBytes: options.previewBacklogBytes,
      isReady: () => this.phase === 'ready',
      isClosed: () => this.phase === 'closed',
      reportError: (err, id) => this.reportError(err, id),
    });
    this.helloTimer = setTimeout(() => this.fatal(new BridgeError('hello_required', 'No hello within the time allowed.')), options.helloTimeoutMs);
    this.helloTimer.unref();
    this.frameSweep = setInterval(() => this.frames.expire(), Math.max(1000, options.core.limits.frameTtlMs / 2));
    this.frameSweep.unref();
    // Binary messages come as the fragments they were sent in; frame-intake joins them only when it must.
    ws.binaryType = 'fragments';
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', () => this.onClose());
  }

  get isOpen(): boolean {
    return this.phase !== 'closed';
  }

  /**
   * Server shutdown: each unfinished job gets `error` `shutting_down` with its id (its terminal
   * message), then the connection gets it without id, then the close with 1001 (going away).
   */
  shutdown(): void {
    if (this.phase === 'closed') return;
    const e = new BridgeError('shutting_down', 'The bridge server is shutting down.');
    if (this.phase === 'ready') this.jobs.endAll(e);
    this.out.send({ type: 'error', ...errorFields(e) });
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
      if (this.phase === 'hello') {
        if (isBinary) throw new BridgeError('hello_required', 'The first message on a connection must be hello, not a binary frame.');
        this.onHello(toBuffer(data));
      } else if (isBinary) {
        this.onFrame(data);
      } else {
        this.onText(toBuffer(data));
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
        this.jobs.generate(msg);
        return;
      case 'cancel':
        this.jobs.cancel(msg.id);
        return;
      case 'list-models':
        this.sendModels();
        return;
      case 'import-model':
        this.jobs.importModel(msg);
        return;
      case 'status':
        this.sendStatus();
        return;
    }
  }

  private onFrame(data: RawData): void {
    try {
      this.frames.add(decodeClientFrame(data, this.options.core.limits));
    } catch (err) {
      this.reportError(err, clientFrameJobId(data));
    }
  }

  /** The `models` answer; also sent unasked when an import changed the lists. */
  sendModels(): void {
    if (this.phase !== 'ready') return;
    void this.options.core.modelLists().then(
      (lists) => {
        if (this.phase === 'ready') this.out.send({ type: 'models', ...lists });
      },
      (err: unknown) => this.reportError(err, undefined),
    );
  }

  private sendStatus(): void {
    const { core } = this.options;
    this.out.send({
      type: 'status',
      state: core.state(),
      queueLength: core.queueLength(),
      jobs: this.jobs.statuses(),
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
    this.jobs.dropAll();
    this.frames.clear();
  }
}
