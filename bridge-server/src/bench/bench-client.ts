import { once } from 'node:events';
import { parseServerMessage, PROTOCOL_VERSION, type GenerateMessageInput } from '@latent-bridge/shared';
import { WebSocket, type RawData } from 'ws';

type Message = { type: string; id?: string; timings?: Record<string, number> };

/** A bare protocol client for benchmarks: hello, then generates timed from send to `done`. */
export class BenchClient {
  private readonly inbox: Message[] = [];
  /** Every run waiting for its end; several run at once on one connection. */
  private waiters: Array<() => void> = [];
  private n = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) this.inbox.push(parseServerMessage(JSON.parse(String(data))) as Message);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(wsUrl: string, token: string | null): Promise<BenchClient> {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    await once(ws, 'open');
    const client = new BenchClient(ws);
    ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'bench/1', ...(token !== null ? { token } : {}) }));
    await client.waitFor((m) => m.type === 'welcome');
    return client;
  }

  /** Runs one job; its wall time in ms from send to `done`. */
  async run(fields: Omit<GenerateMessageInput, 'type' | 'id'>): Promise<number> {
    return (await this.timed(fields)).ms;
  }

  /**
   * Runs one job: its wall time from send to `done`, and the part of it spent outside the run
   * itself (wall time less the runner's totalMs − queueMs): sending, queueing, relaying results.
   */
  async timed(fields: Omit<GenerateMessageInput, 'type' | 'id'>): Promise<{ ms: number; outsideMs: number }> {
    const id = `bench-${++this.n}`;
    const start = performance.now();
    this.ws.send(JSON.stringify({ type: 'generate', id, ...fields }));
    const end = await this.waitFor((m) => (m.type === 'done' || m.type === 'error') && m.id === id);
    const ms = performance.now() - start;
    if (end.type !== 'done') throw new Error(`bench job failed: ${JSON.stringify(end)}`);
    const runMs = (end.timings?.['totalMs'] ?? 0) - (end.timings?.['queueMs'] ?? 0);
    return { ms, outsideMs: ms - runMs };
  }

  close(): void {
    this.ws.close();
  }

  private async waitFor(match: (m: Message) => boolean): Promise<Message> {
    for (;;) {
      const at = this.inbox.findIndex(match);
      if (at >= 0) return this.inbox.splice(at, 1)[0] as Message;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}
