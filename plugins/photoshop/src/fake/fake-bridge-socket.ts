import { decodeFrame, encodeFrame, PROTOCOL_VERSION, DEFAULT_LIMITS, type WelcomeMessage } from '@latent-bridge/shared';
import type { SocketLike } from '../client/socket.js';

/** A welcome like the demo bridge's. */
export function demoWelcome(): WelcomeMessage {
  return {
    type: 'welcome',
    server: 'latent-bridge/0.1.0',
    protocol: PROTOCOL_VERSION,
    capabilities: {
      models: [
        { name: 'demo', nativeSize: 512, inpainting: false, img2img: true },
        { name: 'demo-inpaint', nativeSize: 512, inpainting: true, img2img: true },
      ],
      schedulers: ['euler', 'euler_a', 'dpmpp_2m', 'ddim'],
      limits: { ...DEFAULT_LIMITS },
    },
  };
}

/**
 * An in-memory socket that answers like a bridge without any network: hello → welcome, and
 * generate → queued, progress, one uniform result per batch item, done. For the panel
 * screenshot, where no server runs in the browser page.
 */
export class FakeBridgeSocket implements SocketLike {
  binaryType = 'blob';
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  private frames = 0;
  /** Size of each job's image frame: img2img and inpaint results come back at that size. */
  private imageSizes = new Map<string, { width: number; height: number }>();

  constructor(private readonly colour: readonly [number, number, number] = [191, 64, 64]) {
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    if (typeof data !== 'string') {
      const { header } = decodeFrame(data instanceof Uint8Array ? data : new Uint8Array(data));
      if (header.kind === 'image') this.imageSizes.set(header.jobId, { width: header.width, height: header.height });
      return;
    }
    const message = JSON.parse(data) as { type: string; id?: string; batch?: number; width?: number; height?: number };
    if (message.type === 'hello') this.reply(demoWelcome());
    if (message.type === 'generate' && message.id) {
      const id = message.id;
      const batch = message.batch ?? 1;
      this.reply({ type: 'queued', id, position: 0 });
      this.reply({ type: 'started', id });
      for (let index = 0; index < batch; index++) {
        const source = this.imageSizes.get(id);
        const width = source?.width ?? message.width ?? 512;
        const height = source?.height ?? message.height ?? 512;
        const pixels = new Uint8Array(width * height * 4);
        for (let i = 0; i < pixels.length; i += 4) pixels.set([...this.colour, 255], i);
        const frame = ++this.frames;
        this.reply({ type: 'result', id, index, frame, width, height, seed: 1000 + index, parameters: 'fake' });
        this.replyBinary(encodeFrame({ kind: 'result', format: 'raw-rgba', channels: 4, bitDepth: 8, jobId: id, frameId: frame, batchIndex: index, width, height }, pixels));
      }
      this.reply({ type: 'done', id, results: batch, timings: { totalMs: 1 } });
    }
  }

  close(): void {
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code: 1000, reason: '' }));
  }

  private reply(message: object): void {
    const text = JSON.stringify(message);
    queueMicrotask(() => this.onmessage?.({ data: text }));
  }

  private replyBinary(bytes: Uint8Array): void {
    const copy = bytes.slice().buffer;
    queueMicrotask(() => this.onmessage?.({ data: copy }));
  }
}
