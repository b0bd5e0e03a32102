import { BridgeError, decodeFrame, encodeFrame, parseClientMessage, PROTOCOL_VERSION, DEFAULT_LIMITS, type GenerateMessage, type WelcomeMessage } from '@latent-bridge/shared';
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

type Rgb = readonly [number, number, number];

export interface FakeBridgeOptions {
  /** Colour of ordinary results and of the first frame or entry of a sequence. */
  colour?: Rgb;
  /** Colour of the last frame or entry; the ones between are interpolated. */
  toColour?: Rgb;
  /** Pause before each result, so a test can cancel mid-job; 0 answers at once. */
  resultDelayMs?: number;
  /** Every generate message as parsed, for assertions. */
  received?: GenerateMessage[];
}

/** The demo oracle's colours for "red" and "blue" at guidance 1. */
export const FAKE_RED: Rgb = [191, 64, 64];
export const FAKE_BLUE: Rgb = [64, 64, 191];

/**
 * An in-memory socket that answers like a bridge without any network: hello → welcome, and
 * generate → queued, started, then one uniform result per batch item, animation frame or
 * prompt-list entry, streamed in order with a progress message each, then done. Generate
 * messages go through the shared parser and rules, so a message the real server would refuse
 * gets the same error here. Cancel stops the stream with `cancelled`.
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
  private running = new Map<string, ReturnType<typeof setTimeout> | null>();

  constructor(private readonly options: FakeBridgeOptions = {}) {
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
    const raw = JSON.parse(data) as { type: string; id?: string };
    if (raw.type === 'hello') this.reply(demoWelcome());
    if (raw.type === 'cancel' && raw.id !== undefined && this.running.has(raw.id)) {
      const timer = this.running.get(raw.id);
      if (timer) clearTimeout(timer);
      this.running.delete(raw.id);
      this.reply({ type: 'cancelled', id: raw.id });
    }
    if (raw.type === 'generate' && raw.id) this.generate(raw.id, data);
  }

  close(): void {
    this.readyState = 3;
    for (const timer of this.running.values()) if (timer) clearTimeout(timer);
    this.running.clear();
    queueMicrotask(() => this.onclose?.({ code: 1000, reason: '' }));
  }

  private generate(id: string, text: string): void {
    let message: GenerateMessage;
    try {
      const parsed = parseClientMessage(text);
      if (parsed.type !== 'generate') return;
      message = parsed;
    } catch (err) {
      const e = err instanceof BridgeError ? err : new BridgeError('malformed_message', String(err));
      this.reply({ type: 'error', id, code: e.code, message: e.message, ...(e.field !== undefined ? { field: e.field } : {}) });
      return;
    }
    this.options.received?.push(message);
    const count = message.animation?.frames ?? message.prompts?.length ?? message.batch;
    const sequence = message.animation !== undefined || message.prompts !== undefined;
    this.reply({ type: 'queued', id, position: 0 });
    this.reply({ type: 'started', id });
    this.running.set(id, null);
    const emit = (index: number): void => {
      if (!this.running.has(id)) return;
      if (index === count) {
        this.running.delete(id);
        this.reply({ type: 'done', id, results: count, timings: { totalMs: 1 } });
        return;
      }
      const t = sequence && count > 1 ? index / (count - 1) : 0;
      this.result(message, index, t);
      this.reply({ type: 'progress', id, step: index + 1, total: count });
      const delay = this.options.resultDelayMs ?? 0;
      if (delay > 0) this.running.set(id, setTimeout(() => emit(index + 1), delay));
      else emit(index + 1);
    };
    emit(0);
  }

  private result(message: GenerateMessage, index: number, t: number): void {
    const id = message.id;
    const source = this.imageSizes.get(id);
    const width = source?.width ?? message.width ?? 512;
    const height = source?.height ?? message.height ?? 512;
    const from = this.options.colour ?? FAKE_RED;
    const to = this.options.toColour ?? FAKE_BLUE;
    const colour = from.map((c, i) => Math.round(c + ((to[i] ?? c) - c) * t));
    const pixels = new Uint8Array(width * height * 4);
    for (let i = 0; i < pixels.length; i += 4) pixels.set([...colour, 255], i);
    const frame = ++this.frames;
    const seed = message.prompts?.[index]?.seed ?? (message.seed ?? 1000) + index;
    this.reply({ type: 'result', id, index, frame, width, height, seed, parameters: 'fake' });
    this.replyBinary(encodeFrame({ kind: 'result', format: 'raw-rgba', channels: 4, bitDepth: 8, jobId: id, frameId: frame, batchIndex: index, width, height }, pixels));
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
