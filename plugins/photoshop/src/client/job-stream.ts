import { BridgeError, isErrorCode, type DecodedFrame, type PreviewMessage, type ResultMessage, type ServerMessage } from '@latent-bridge/shared';

export interface JobResult {
  index: number;
  seed: number;
  width: number;
  height: number;
  /** RGBA 8-bit, straight alpha. */
  rgba: Uint8Array;
  parameters: string;
}

export interface JobEvents {
  onQueued?(position: number): void;
  onStarted?(): void;
  /** `phase`: 'import' for an import-model job's tensors, else denoising steps. */
  onProgress?(step: number, total: number, etaMs: number | undefined, phase?: string): void;
  onPreview?(index: number, rgba: Uint8Array, width: number, height: number, step: number): void;
  onResult?(result: JobResult): void;
}

/** The life of one job on the connection, up to its single terminal message. */
export class JobStream {
  readonly finished: Promise<JobResult[]>;
  private results: JobResult[] = [];
  private settle!: { resolve(results: JobResult[]): void; reject(err: BridgeError): void };
  private over = false;
  /** import-model: the name the bridge installed the model under (done.model). */
  installedModel: string | undefined;
  /** Called before each message of the job is handled (the client checks for a cancel there). */
  beforeMessage: (() => void) | undefined;

  constructor(readonly id: string, readonly documentId: number, private readonly events: JobEvents) {
    this.finished = new Promise<JobResult[]>((resolve, reject) => (this.settle = { resolve, reject }));
    // The caller may not be awaiting yet when a connection drops.
    this.finished.catch(() => undefined);
  }

  message(message: ServerMessage): void {
    if (this.over) return;
    switch (message.type) {
      case 'queued':
        this.events.onQueued?.(message.position);
        break;
      case 'started':
        this.events.onStarted?.();
        break;
      case 'progress':
        this.events.onProgress?.(message.step, message.total, message.etaMs, message.phase);
        break;
      case 'done':
        this.end();
        this.installedModel = message.model;
        if (this.results.length !== message.results) {
          this.settle.reject(new BridgeError('frame_missing', `The bridge server announced ${message.results} results but ${this.results.length} arrived.`));
        } else {
          this.settle.resolve([...this.results].sort((a, b) => a.index - b.index));
        }
        break;
      case 'cancelled':
        this.end();
        this.settle.reject(new BridgeError('cancelled', 'The job was cancelled.'));
        break;
      case 'error':
        this.end();
        this.settle.reject(new BridgeError(isErrorCode(message.code) ? message.code : 'internal', message.message, message.field));
        break;
      default:
        break;
    }
  }

  frame(message: PreviewMessage | ResultMessage, frame: DecodedFrame): void {
    if (this.over) return;
    const rgba = toRgba8(frame);
    if (!rgba) return;
    const { width, height } = frame.header;
    if (message.type === 'preview') {
      this.events.onPreview?.(message.index, rgba, width, height, message.step);
      return;
    }
    const result: JobResult = { index: message.index, seed: message.seed, width, height, rgba, parameters: message.parameters };
    this.results.push(result);
    this.events.onResult?.(result);
  }

  fail(err: BridgeError): void {
    if (this.over) return;
    this.end();
    this.settle.reject(err);
  }

  private end(): void {
    this.over = true;
  }
}

/** Raw RGBA frames as 8-bit; other formats are not requested by this client. */
function toRgba8(frame: DecodedFrame): Uint8Array | null {
  const { format, bitDepth } = frame.header;
  if (format !== 'raw-rgba') return null;
  if (bitDepth === 8) return frame.payload.slice();
  const view = new DataView(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength);
  const out = new Uint8Array(frame.payload.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((view.getUint16(i * 2, true) * 255) / 65535);
  return out;
}
