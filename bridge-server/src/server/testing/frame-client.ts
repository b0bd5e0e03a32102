/** TEST ONLY: a protocol client on a real socket that keeps messages and result frames by job. */
import { WebSocket } from 'ws';
import { decodeFrame, parseServerMessage, PROTOCOL_VERSION, type ServerMessage } from '@latent-bridge/shared';

export class Client {
  readonly messages: ServerMessage[] = [];
  /** Result frame payloads by job id. */
  readonly results = new Map<string, Uint8Array[]>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.messages.push(parseServerMessage((data as Buffer).toString('utf8')));
        return;
      }
      const frame = decodeFrame(data as Buffer);
      if (frame.header.kind !== 'result') return;
      const list = this.results.get(frame.header.jobId) ?? [];
      list.push(frame.payload.slice());
      this.results.set(frame.header.jobId, list);
    });
  }

  static async connect(url: string): Promise<Client> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const c = new Client(ws);
    c.send({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'bridge-test/1' });
    await c.next((m) => m.type === 'welcome');
    return c;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first message from index `from` on that matches, waiting for it. */
  async next<T extends ServerMessage = ServerMessage>(match: (m: ServerMessage) => boolean, timeoutMs = 180_000, from = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found !== undefined) return found as T;
      if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(this.messages.slice(-4))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Every message of one job, in order. */
  trace(id: string): ServerMessage[] {
    return this.messages.filter((m) => 'id' in m && m.id === id);
  }
}

export const terminal = (id: string) => (m: ServerMessage) => (m.type === 'done' || m.type === 'error' || m.type === 'cancelled') && 'id' in m && m.id === id;
