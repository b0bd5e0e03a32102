import {
  BridgeError,
  decodeFrame,
  encodeFrame,
  isErrorCode,
  parseServerMessage,
  PROTOCOL_VERSION,
  type DecodedFrame,
  type GenerateMessageInput,
  type ServerMessage,
  type WelcomeMessage,
} from '@latent-bridge/shared';
import { JobStream, type JobEvents, type JobResult } from './job-stream.js';
import { SOCKET_OPEN, type SocketFactory, type SocketLike } from './socket.js';

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

export interface BridgeClientOptions {
  url: string;
  token?: string;
  clientName: string;
  socketFactory: SocketFactory;
  connectTimeoutMs?: number;
}

/** What a job sends besides the generate fields: raw pixels, already in wire layout. */
export interface JobFrames {
  image?: { rgba: Uint8Array; width: number; height: number };
  mask?: { gray: Uint8Array; width: number; height: number };
}

export type GenerateFields = Omit<GenerateMessageInput, 'type' | 'id' | 'image' | 'mask'>;

interface Pending {
  resolve(welcome: WelcomeMessage): void;
  reject(err: BridgeError): void;
}

/**
 * One WebSocket to the bridge, opened on demand (a hidden or reloaded panel simply reconnects
 * on the next job). Speaks the shared protocol: hello/welcome, image and mask frames before
 * their generate, binary result frames paired with the message announcing them.
 */
export class BridgeClient {
  private socket: SocketLike | null = null;
  private welcomeMessage: WelcomeMessage | null = null;
  private connecting: Promise<WelcomeMessage> | null = null;
  private pending: Pending | null = null;
  private jobs = new Map<string, JobStream>();
  private frameIds = 0;
  private jobCounter = 0;
  private announced: { id: string; frame: number; handle(frame: DecodedFrame): void } | null = null;
  private stateListeners = new Set<(state: ConnectionState) => void>();
  private modelListeners = new Set<(welcome: WelcomeMessage) => void>();
  private connectionState: ConnectionState = 'disconnected';

  constructor(private options: BridgeClientOptions) {}

  get state(): ConnectionState {
    return this.connectionState;
  }

  get welcome(): WelcomeMessage | null {
    return this.welcomeMessage;
  }

  /** Document id of each unfinished job. */
  get jobDocuments(): ReadonlyMap<string, number> {
    return new Map([...this.jobs].map(([id, job]) => [id, job.documentId]));
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Called when the bridge pushes a new model list (after an import); the welcome is updated first. */
  onModels(listener: (welcome: WelcomeMessage) => void): () => void {
    this.modelListeners.add(listener);
    return () => this.modelListeners.delete(listener);
  }

  /**
   * Imports a checkpoint from the bridge's checkpoints folder (`source`: capabilities.checkpoints
   * name) as a job: progress with phase 'import', then the installed model's name.
   */
  async importModel(source: string, name: string | undefined, options: { signal?: AbortSignal; events?: JobEvents } = {}): Promise<string> {
    await this.connect();
    const socket = this.socket;
    if (!socket || socket.readyState !== SOCKET_OPEN) throw unreachable('The connection closed.');
    const id = `psimport-${Date.now().toString(36)}-${++this.jobCounter}`;
    const job = new JobStream(id, -1, options.events ?? {});
    this.jobs.set(id, job);
    socket.send(JSON.stringify({ type: 'import-model', id, source, ...(name ? { name } : {}) }));
    const poll = options.signal ? setInterval(() => {
      if (options.signal?.aborted && this.jobs.has(id)) this.sendCancel(id);
    }, CANCEL_POLL_MS) : null;
    try {
      await job.finished;
      return job.installedModel ?? name ?? source.replace(/\.[^.]*$/, '');
    } finally {
      if (poll) clearInterval(poll);
      this.jobs.delete(id);
    }
  }

  /** Asks the bridge for its model list again (list-models); resolves with the updated welcome. */
  async refreshModels(timeoutMs = 5000): Promise<WelcomeMessage> {
    await this.connect();
    return new Promise<WelcomeMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(unreachable('No model list came back.'));
      }, timeoutMs);
      const stop = this.onModels((welcome) => {
        clearTimeout(timer);
        stop();
        resolve(welcome);
      });
      this.socket?.send(JSON.stringify({ type: 'list-models' }));
    });
  }

  /** New address or token: takes effect on the next connection. */
  configure(changes: { url?: string; token?: string }): void {
    const changed = (changes.url !== undefined && changes.url !== this.options.url) || (changes.token !== undefined && changes.token !== this.options.token);
    this.options = { ...this.options, ...changes };
    if (changed) this.close();
  }

  connect(): Promise<WelcomeMessage> {
    if (this.welcomeMessage && this.socket?.readyState === SOCKET_OPEN) return Promise.resolve(this.welcomeMessage);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  /** Runs one job; resolves with every result, rejects with a BridgeError (code cancelled on cancel). */
  async generate(fields: GenerateFields, frames: JobFrames, options: { documentId: number; signal?: AbortSignal; events?: JobEvents }): Promise<JobResult[]> {
    await this.connect();
    const socket = this.socket;
    if (!socket || socket.readyState !== SOCKET_OPEN) throw unreachable('The connection closed.');
    options.signal?.throwIfAborted();
    const id = `ps${options.documentId}-${Date.now().toString(36)}-${++this.jobCounter}`;
    const job = new JobStream(id, options.documentId, options.events ?? {});
    this.jobs.set(id, job);
    const message: GenerateMessageInput = { type: 'generate', id, ...fields };
    if (frames.image) {
      await drained(socket);
      const frameId = this.nextFrameId();
      socket.send(encodeFrame({ kind: 'image', format: 'raw-rgba', channels: 4, bitDepth: 8, jobId: id, frameId, batchIndex: 0, width: frames.image.width, height: frames.image.height }, frames.image.rgba));
      message.image = { frame: frameId };
    }
    if (frames.mask) {
      await drained(socket);
      const frameId = this.nextFrameId();
      socket.send(encodeFrame({ kind: 'mask', format: 'raw-gray', channels: 1, bitDepth: 8, jobId: id, frameId, batchIndex: 0, width: frames.mask.width, height: frames.mask.height }, frames.mask.gray));
      message.mask = { frame: frameId };
    }
    socket.send(JSON.stringify(message));
    // UXP's AbortSignal documents only aborted, reason and throwIfAborted (no addEventListener),
    // so the signal is polled; cancelAll() is the immediate path the panel's Cancel button takes.
    let cancelSent = false;
    const cancelIfAborted = () => {
      if (!cancelSent && options.signal?.aborted && this.jobs.has(id)) {
        cancelSent = true;
        this.sendCancel(id);
      }
    };
    job.beforeMessage = cancelIfAborted;
    const poll = options.signal ? setInterval(cancelIfAborted, CANCEL_POLL_MS) : null;
    cancelIfAborted();
    try {
      return await job.finished;
    } finally {
      if (poll) clearInterval(poll);
      this.jobs.delete(id);
    }
  }

  /** Asks the bridge to cancel every unfinished job of this connection (the Cancel button). */
  cancelAll(): void {
    for (const id of this.jobs.keys()) this.sendCancel(id);
  }

  private sendCancel(id: string): void {
    if (this.socket?.readyState === SOCKET_OPEN) this.socket.send(JSON.stringify({ type: 'cancel', id }));
  }

  close(): void {
    const socket = this.socket;
    if (socket) {
      this.dropSocket(unreachable('The connection was closed.'));
      socket.close(1000, 'client closed');
    }
  }

  private open(): Promise<WelcomeMessage> {
    this.setState('connecting');
    return new Promise<WelcomeMessage>((resolve, reject) => {
      let socket: SocketLike;
      try {
        socket = this.options.socketFactory(this.options.url);
      } catch (err) {
        this.setState('disconnected');
        reject(unreachable(`Cannot open ${this.options.url}: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      socket.binaryType = 'arraybuffer';
      this.socket = socket;
      const timer = setTimeout(() => {
        this.dropSocket(unreachable(`No answer from ${this.options.url}.`));
        socket.close();
      }, this.options.connectTimeoutMs ?? 5000);
      this.pending = {
        resolve: (welcome) => {
          clearTimeout(timer);
          resolve(welcome);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      socket.onopen = () => {
        const hello: Record<string, unknown> = { type: 'hello', protocol: PROTOCOL_VERSION, client: this.options.clientName };
        if (this.options.token) hello['token'] = this.options.token;
        socket.send(JSON.stringify(hello));
      };
      socket.onmessage = (event) => this.receive(event.data);
      socket.onerror = () => undefined; // onclose follows and carries the outcome.
      socket.onclose = (event) => {
        if (this.socket === socket) this.dropSocket(unreachable(`The connection to ${this.options.url} closed${event.reason ? ` (${event.reason})` : ''}.`));
      };
    });
  }

  private receive(data: unknown): void {
    if (typeof data === 'string') this.receiveText(data);
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) this.receiveFrame(data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  private receiveText(text: string): void {
    let message: ServerMessage;
    try {
      message = parseServerMessage(text);
    } catch {
      return; // A message this version cannot read is dropped; the job's terminal message still comes.
    }
    if (message.type === 'welcome') {
      this.welcomeMessage = message;
      this.setState('connected');
      this.pending?.resolve(message);
      this.pending = null;
      return;
    }
    if (message.type === 'error' && message.id === undefined) {
      const err = new BridgeError(isErrorCode(message.code) ? message.code : 'internal', message.message, message.field);
      // Without a job id the error is about the connection (token, version, shutdown): it closes.
      const socket = this.socket;
      this.dropSocket(this.pending || err.code === 'shutting_down' ? err : unreachable(err.message));
      socket?.close();
      return;
    }
    if (message.type === 'models') {
      const welcome = this.welcomeMessage;
      if (!welcome) return;
      const { models, loras, embeddings, checkpoints } = message;
      this.welcomeMessage = {
        ...welcome,
        capabilities: {
          ...welcome.capabilities,
          models,
          ...(loras ? { loras } : {}),
          ...(embeddings ? { embeddings } : {}),
          ...(checkpoints ? { checkpoints } : {}),
        },
      };
      for (const listener of this.modelListeners) listener(this.welcomeMessage);
      return;
    }
    if (message.type === 'preview' || message.type === 'result') {
      const job = this.jobs.get(message.id);
      this.announced = job ? { id: message.id, frame: message.frame, handle: (frame) => job.frame(message, frame) } : null;
      return;
    }
    if ('id' in message && typeof message.id === 'string') {
      const job = this.jobs.get(message.id);
      job?.beforeMessage?.();
      job?.message(message);
    }
  }

  private receiveFrame(bytes: Uint8Array): void {
    const announced = this.announced;
    this.announced = null;
    if (!announced) return;
    const limits = this.welcomeMessage?.capabilities.limits;
    let frame: DecodedFrame;
    try {
      frame = decodeFrame(bytes, limits, ['preview', 'result']);
    } catch (err) {
      this.jobs.get(announced.id)?.fail(err instanceof BridgeError ? err : new BridgeError('frame_invalid', String(err)));
      return;
    }
    if (frame.header.frameId !== announced.frame || frame.header.jobId !== announced.id) return;
    announced.handle(frame);
  }

  private dropSocket(err: BridgeError): void {
    this.socket = null;
    this.welcomeMessage = null;
    this.announced = null;
    this.setState('disconnected');
    if (this.pending) {
      this.pending.reject(err);
      this.pending = null;
    }
    for (const job of this.jobs.values()) job.fail(err);
  }

  private nextFrameId(): number {
    this.frameIds = (this.frameIds % 0xffff_ffff) + 1;
    return this.frameIds;
  }

  private setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

/**
 * Send pacing: before queueing a binary frame, wait (up to SEND_DRAIN_MS) until what is already
 * queued drops under SEND_HIGH_WATER bytes. UXP documents `bufferedAmount` but no send-buffer
 * limit, so the client never stacks several multi-MB frames in it at once.
 */
const SEND_HIGH_WATER = 1 << 20;
const SEND_DRAIN_MS = 30_000;

async function drained(socket: SocketLike): Promise<void> {
  const started = Date.now();
  while (typeof socket.bufferedAmount === 'number' && socket.bufferedAmount > SEND_HIGH_WATER && Date.now() - started < SEND_DRAIN_MS) {
    if (socket.readyState !== SOCKET_OPEN) throw unreachable('The connection closed while sending the image.');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How often a running job looks at its AbortSignal (see generate). */
const CANCEL_POLL_MS = 100;

function unreachable(detail: string): BridgeError {
  return new BridgeError('bridge_unreachable', `The bridge server cannot be reached. ${detail}`);
}
