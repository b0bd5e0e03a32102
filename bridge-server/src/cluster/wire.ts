import { BridgeError, isErrorCode, type FrameFormat } from '@latent-bridge/shared';
import type { JobSpec, ServerGenerateRequest } from '../server/job-types.js';

/**
 * What fronts and workers say to each other through Redis. Job data and outcomes are BullMQ's
 * JSON; pixels never are: they sit in their own binary keys (blobs) that the JSON names.
 */

/** Pixels of a request image or mask in a blob. */
export interface WirePixels {
  width: number;
  height: number;
  key: string;
  bytes: number;
}

/** A JobSpec without what cannot or should not be JSON: the model is named, the pixels are blobs. */
export interface WireSpec extends Omit<JobSpec, 'model' | 'request' | 'sequence'> {
  request: Omit<ServerGenerateRequest, 'image' | 'mask'>;
  sequence?: Exclude<JobSpec['sequence'], { kind: 'custom' }>;
}

/** A BullMQ job's data. */
export interface WireJob {
  frontId: string;
  /** The id the client gave the job (for logs). */
  clientJobId: string;
  model: string;
  spec: WireSpec;
  image?: WirePixels;
  mask?: WirePixels;
  enqueuedAt: number;
}

/** One result: its frame fields, its bytes in a blob. */
export interface WireResult {
  index: number;
  seed: number;
  parameters: string;
  format: FrameFormat;
  width: number;
  height: number;
  channels: number;
  bitDepth: 8 | 16;
  key: string;
  bytes: number;
}

/**
 * A BullMQ job's return value. Every outcome a job can have for its client is a completed BullMQ
 * job, so BullMQ retries only what it should: jobs whose worker died (stalled).
 */
export type WireOutcome =
  | { kind: 'done'; results: WireResult[]; timings: Record<string, number>; model?: string; worker: string }
  /** frontGone: the job's front died; 'waiting' = skipped before it ran, 'running' = stopped mid-run. */
  | { kind: 'cancelled'; worker: string; stepsAfterCancel?: number; frontGone?: 'waiting' | 'running' }
  | { kind: 'error'; code: string; message: string; field?: string; worker: string };

/** What a worker tells the job's front as it runs (Redis pub/sub, best effort). */
export type WireEvent =
  | { job: string; kind: 'started'; worker: string }
  | { job: string; kind: 'progress'; step: number; total: number; etaMs?: number; phase?: 'import' }
  | { job: string; kind: 'preview'; index: number; step: number; format: FrameFormat; width: number; height: number; channels: number; bitDepth: 8 | 16 }
  | { job: string; kind: 'finished'; outcome?: WireOutcome };

export function isOutcome(value: unknown): value is WireOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'cancelled' || kind === 'error' || (kind === 'done' && Array.isArray((value as { results?: unknown }).results));
}

export function outcomeError(outcome: Extract<WireOutcome, { kind: 'error' }>): BridgeError {
  return new BridgeError(isErrorCode(outcome.code) ? outcome.code : 'internal', outcome.message, outcome.field);
}

/** A pub/sub message: u32 header length, JSON header, then the payload (a preview's pixels). */
export function encodeEvent(event: WireEvent, payload?: Uint8Array): Buffer {
  const header = Buffer.from(JSON.stringify(event), 'utf8');
  const out = Buffer.allocUnsafe(4 + header.length + (payload?.length ?? 0));
  out.writeUInt32BE(header.length, 0);
  header.copy(out, 4);
  if (payload !== undefined) out.set(payload, 4 + header.length);
  return out;
}

/** undefined for a message that is not one of ours (it is then ignored). */
export function decodeEvent(message: Buffer): { event: WireEvent; payload: Buffer } | undefined {
  if (message.length < 4) return undefined;
  const length = message.readUInt32BE(0);
  if (4 + length > message.length) return undefined;
  try {
    const parsed: unknown = JSON.parse(message.subarray(4, 4 + length).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { job, kind } = parsed as { job?: unknown; kind?: unknown };
    if (typeof job !== 'string' || typeof kind !== 'string') return undefined;
    return { event: parsed as WireEvent, payload: message.subarray(4 + length) };
  } catch {
    return undefined;
  }
}

/** Redis key names, all under one prefix so several set-ups can share a Redis. */
export class ClusterKeys {
  constructor(readonly prefix = 'lb') {}

  /** BullMQ's key prefix (its queues live under it). */
  get bullPrefix(): string {
    return `${this.prefix}:bull`;
  }

  /** One queue per model: a worker takes jobs only for models it has. Names are plain (see checkModelName). */
  queueName(model: string): string {
    return `model.${model}`;
  }

  blob(jobId: string, part: string): string {
    return `${this.prefix}:blob:${jobId}:${part}`;
  }

  /** Set when a job is cancelled, for a worker that picks it up (again) later. */
  cancelled(jobId: string): string {
    return `${this.prefix}:cancelled:${jobId}`;
  }

  get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }

  events(frontId: string): string {
    return `${this.prefix}:events:${frontId}`;
  }

  /** Present while the front is alive: a worker skips jobs whose front (and client) is gone. */
  front(id: string): string {
    return `${this.prefix}:front:${id}`;
  }

  worker(id: string): string {
    return `${this.prefix}:worker:${id}`;
  }

  get workerPattern(): string {
    return `${this.prefix}:worker:*`;
  }

  /** A client's unfinished jobs (its next job's priority), shared by every front. */
  client(clientId: string): string {
    return `${this.prefix}:client:${clientId}`;
  }
}
