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

/**
 * A welcome like a wave-2 bridge's: models of several families with their defaults, LoRAs,
 * embeddings and importable checkpoints.
 */
export function familiesWelcome(): WelcomeMessage {
  const base = demoWelcome();
  return {
    ...base,
    capabilities: {
      ...base.capabilities,
      models: [
        ...base.capabilities.models,
        { name: 'sd15-photo', nativeSize: 512, inpainting: false, img2img: true, sizeMultiple: 64, family: 'sd1', prediction: 'epsilon', defaults: { steps: 25, guidance: 7, scheduler: 'dpmpp_2m', width: 512, height: 512 }, hash: '0123456789' },
        { name: 'sdxl-base', nativeSize: 1024, inpainting: false, img2img: true, sizeMultiple: 64, family: 'sdxl', prediction: 'epsilon', defaults: { steps: 30, guidance: 5, scheduler: 'euler', width: 1024, height: 1024 }, sizes: [{ width: 1024, height: 1024 }, { width: 1152, height: 896 }] },
        { name: 'sdxl-turbo', nativeSize: 512, inpainting: false, img2img: true, sizeMultiple: 64, family: 'sdxl', defaults: { steps: 1, guidance: 0, scheduler: 'euler_a', width: 512, height: 512 } },
      ],
      loras: [{ name: 'film-grain', family: 'sd1' }, { name: 'xl-detail', family: 'sdxl', alias: 'detailer' }, { name: 'any-style' }],
      embeddings: [{ name: 'bad-hands', family: 'sd1', vectors: 4 }, { name: 'xl-neg', family: 'sdxl', vectors: 2 }],
      checkpoints: [{ name: 'dreamy-v2.safetensors', bytes: 2_132_000_000 }, { name: 'sd15-photo.safetensors', bytes: 2_100_000_000, imported: 'sd15-photo' }],
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
  /** The welcome to answer hello with (default demoWelcome()). */
  welcome?: WelcomeMessage;
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
    this.welcome = options.welcome ?? demoWelcome();
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
    if (raw.type === 'hello') this.reply(this.welcome);
    if (raw.type === 'list-models') this.replyModels();
    if (raw.type === 'import-model' && raw.id) {
      const parsed = parseClientMessage(data);
      if (parsed.type === 'import-model') this.importModel(parsed);
    }
    if (raw.type === 'cancel' && raw.id !== undefined && this.running.has(raw.id)) {
      const timer = this.running.get(raw.id);
      if (timer) clearTimeout(timer);
      this.running.delete(raw.id);
      this.reply({ type: 'cancelled', id: raw.id });
    }
    if (raw.type === 'generate' && raw.id) this.generate(raw.id, data);
  }

  private welcome: WelcomeMessage;

  private replyModels(): void {
    const { models, loras, embeddings, checkpoints } = this.welcome.capabilities;
    this.reply({ type: 'models', models, ...(loras ? { loras } : {}), ...(embeddings ? { embeddings } : {}), ...(checkpoints ? { checkpoints } : {}) });
  }

  /** import-model as the bridge runs it: a queued job, progress in phase 'import', done.model, then a models push. */
  private importModel(raw: { id: string; source: string; name?: string | undefined }): void {
    const caps = this.welcome.capabilities;
    const file = caps.checkpoints?.find((c) => c.name === raw.source);
    if (!file) {
      this.reply({ type: 'error', id: raw.id, code: 'model_not_found', message: `No checkpoint ${raw.source} in the checkpoints folder.`, field: 'source' });
      return;
    }
    const name = raw.name ?? raw.source.replace(/\.[^.]*$/, '');
    this.reply({ type: 'queued', id: raw.id, position: 0 });
    this.reply({ type: 'started', id: raw.id });
    for (let step = 1; step <= 3; step++) this.reply({ type: 'progress', id: raw.id, step, total: 3, phase: 'import' });
    this.reply({ type: 'done', id: raw.id, results: 0, model: name, timings: { totalMs: 1 } });
    this.welcome = {
      ...this.welcome,
      capabilities: {
        ...caps,
        models: [...caps.models, { name, nativeSize: 512, inpainting: false, img2img: true, sizeMultiple: 64, family: 'sd1', defaults: { steps: 28, guidance: 6.5, scheduler: 'ddim', width: 512, height: 768 } }],
        checkpoints: (caps.checkpoints ?? []).map((c) => (c.name === raw.source ? { ...c, imported: name } : c)),
      },
    };
    this.replyModels();
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
