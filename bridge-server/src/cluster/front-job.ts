import type { JobSink } from '../server/job-types.js';
import type { WireEvent, WireOutcome } from './wire.js';

/**
 * One job a front handed to the queue, from the front's side: relays what its worker reports
 * (started once, even when a second worker takes over from a dead one) and waits for its outcome,
 * which comes once, from whichever path sees it first (the worker's `finished` note or a poll).
 */
export class FrontJob {
  readonly outcome: Promise<WireOutcome>;
  cancelRequested = false;
  private startedSent = false;
  private settled = false;
  private settle!: (outcome: WireOutcome) => void;

  constructor(
    readonly bullId: string,
    /** The BullMQ queue it went on. */
    readonly queue: string,
    private readonly sink: JobSink,
    /** An A1111 job's shared.state as its worker reports it. */
    private readonly onA1111State?: (event: Extract<WireEvent, { kind: 'a1111-state' }>) => void,
  ) {
    this.outcome = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  get isSettled(): boolean {
    return this.settled;
  }

  resolve(outcome: WireOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(outcome);
  }

  /** `started` goes to the client once, before anything else about the job. */
  ensureStarted(): void {
    if (this.startedSent) return;
    this.startedSent = true;
    this.sink.started();
  }

  onEvent(event: WireEvent, payload: Buffer): void {
    if (this.settled) return;
    switch (event.kind) {
      case 'started':
        this.ensureStarted();
        return;
      case 'progress':
        this.ensureStarted();
        this.sink.progress(event.step, event.total, event.etaMs, event.phase);
        return;
      case 'preview':
        this.ensureStarted();
        if (!this.sink.wantsPreview()) return;
        this.sink.preview(event.index, event.step, {
          format: event.format,
          width: event.width,
          height: event.height,
          channels: event.channels,
          bitDepth: event.bitDepth,
          payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
        });
        return;
      case 'a1111-state':
        this.ensureStarted();
        this.onA1111State?.(event);
        return;
      case 'finished':
        // The outcome itself is read from the job by the front.
        return;
    }
  }
}
