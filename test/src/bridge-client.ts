import { WebSocket } from 'ws';
import {
  decodeFrame,
  encodeFrame,
  parseServerMessage,
  PROTOCOL_VERSION,
  SERVER_FRAME_KINDS,
  type DecodedFrame,
  type FrameHeader,
  type GenerateMessageInput,
  type ServerMessage,
} from '@latent-bridge/bridge-server';

/** What arrived, in order: a validated server message or a decoded server frame. */
export type Incoming = { kind: 'message'; message: ServerMessage; at: number } | { kind: 'frame'; frame: DecodedFrame; at: number };

export interface ClosedInfo {
  code: number;
  reason: string;
}

/**
 * A test client speaking the wire protocol over a real `ws` socket. Every server message is
 * checked with parseServerMessage and every frame with decodeFrame, so a server that breaks the
 * protocol fails the test that receives it.
 */
export class BridgeClient {
  readonly received: Incoming[] = [];
  readonly closed: Promise<ClosedInfo>;
  private waiters: Array<() => void> = [];
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data, isBinary) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      const at = performance.now();
      if (isBinary) this.received.push({ kind: 'frame', frame: decodeFrame(bytes, undefined, SERVER_FRAME_KINDS), at });
      else this.received.push({ kind: 'message', message: parseServerMessage(bytes.toString('utf8')), at });
      this.wake();
    });
    ws.on('close', () => this.wake());
  }

  static async open(wsUrl: string, headers: Record<string, string> = {}): Promise<BridgeClient> {
    const ws = new WebSocket(wsUrl, { headers, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return new BridgeClient(ws);
  }

  /** Opens, says hello and waits for welcome. */
  static async connect(wsUrl: string, token: string | null, client = 'e2e-test/1'): Promise<BridgeClient> {
    const c = await BridgeClient.open(wsUrl);
    c.send({ type: 'hello', protocol: PROTOCOL_VERSION, client, ...(token !== null ? { token } : {}) });
    await c.nextMessage((m) => m.type === 'welcome');
    return c;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendBytes(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  sendFrame(header: FrameHeader, payload: Uint8Array): void {
    this.sendBytes(encodeFrame(header, payload));
  }

  generate(fields: Omit<GenerateMessageInput, 'type'>): void {
    this.send({ type: 'generate', ...fields });
  }

  get messages(): ServerMessage[] {
    return this.received.flatMap((r) => (r.kind === 'message' ? [r.message] : []));
  }

  /** Waits for the first message (from `from` on) matching `match`. */
  async nextMessage<T extends ServerMessage = ServerMessage>(match: (m: ServerMessage) => boolean, timeoutMs = 20_000, from = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < this.received.length; i++) {
        const r = this.received[i];
        if (r?.kind === 'message' && match(r.message)) return r.message as T;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed while waiting; got ${JSON.stringify(this.messages)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting; got ${JSON.stringify(this.messages.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the job's terminal message (done, cancelled or error with its id) and returns all of its traffic. */
  async job(id: string, timeoutMs = 30_000, from = 0): Promise<JobTrace> {
    const end = await this.nextMessage((m) => isTerminalFor(m, id), timeoutMs, from);
    return traceOf(this.received.slice(from), id, end);
  }

  /** Where the next arrival will be; pass it as `from` to look only at what comes after now. */
  mark(): number {
    return this.received.length;
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

export interface JobTrace {
  end: ServerMessage;
  messages: ServerMessage[];
  /** Result frames by batch index, in arrival order. */
  results: DecodedFrame[];
  previews: DecodedFrame[];
}

export function isTerminalFor(m: ServerMessage, id: string): boolean {
  return (m.type === 'done' || m.type === 'cancelled' || m.type === 'error') && 'id' in m && m.id === id;
}

function traceOf(received: readonly Incoming[], id: string, end: ServerMessage): JobTrace {
  const messages: ServerMessage[] = [];
  const results: DecodedFrame[] = [];
  const previews: DecodedFrame[] = [];
  for (const r of received) {
    if (r.kind === 'message') {
      if ('id' in r.message && r.message.id === id) messages.push(r.message);
    } else if (r.frame.header.jobId === id) {
      (r.frame.header.kind === 'result' ? results : previews).push(r.frame);
    }
  }
  return { end, messages, results, previews };
}
