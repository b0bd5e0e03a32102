import { createHash } from 'node:crypto';
import { BridgeError, isErrorCode, type FrameFormat } from '@latent-bridge/shared';
import type { FieldValue } from '../a1111/fields.js';
import type { StateDict } from '../a1111/state.js';
import type { PromptStyle } from '../a1111/styles.js';
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

/**
 * A generate's LoRAs as its client named them. The front checked the names against what its
 * workers advertise; the worker finds them in its own folder again (resolveJobLoras), so the merge
 * and the parameters text ("Lora hashes", the prompts with their tags) are a single bridge's.
 */
export interface WireLoras {
  /** The request's `loras` field. */
  requested: Array<{ name: string; weight: number }>;
  /** The prompts as written, `<lora:…>` tags included (the spec's request has them stripped). */
  prompt: string;
  negative: string;
}

/** A JobSpec without what cannot or should not be JSON: the model is named, the pixels are blobs. */
export interface WireSpec extends Omit<JobSpec, 'model' | 'request' | 'sequence' | 'loras'> {
  request: Omit<ServerGenerateRequest, 'image' | 'mask'>;
  sequence?: Exclude<JobSpec['sequence'], { kind: 'custom' }>;
  loras?: WireLoras;
}

/** Bytes of any kind in a blob (an A1111 request or answer). */
export interface WireBlob {
  key: string;
  bytes: number;
}

interface WireJobBase {
  frontId: string;
  /** The id the client gave the job (for logs). */
  clientJobId: string;
  enqueuedAt: number;
}

/** A generate, on its model's queue. Jobs queued before import and A1111 jobs existed have no kind. */
export interface WireGenerateJob extends WireJobBase {
  kind?: 'generate';
  model: string;
  spec: WireSpec;
  image?: WirePixels;
  mask?: WirePixels;
}

/** An import from a worker's checkpoints folder, on the checkpoint's queue. */
export interface WireImportJob extends WireJobBase {
  kind: 'import';
  /** The file's name in the checkpoints folder. */
  checkpoint: string;
  /** The model name to install under; default the file's. */
  name?: string;
  /** A generate's import before it is queued: shared with any other waiting for the same file, and not cancelled. */
  firstUse: boolean;
}

/**
 * An A1111 txt2img/img2img request, on its checkpoint's model queue. The request travels, not
 * the processing: the worker runs the same route code against the front's settings and styles.
 */
export interface WireA1111Job extends WireJobBase {
  kind: 'a1111';
  route: 'txt2img' | 'img2img';
  model: string;
  /** The request body as JSON text. */
  body: WireBlob;
  /** The front's settings (defaults included) the request resolves against. */
  settings: Record<string, FieldValue>;
  styles: PromptStyle[];
  /** The front saves the images (save_images), so it needs them even when send_images is false. */
  keepImages: boolean;
}

/** A BullMQ job's data. */
export type WireJob = WireGenerateJob | WireImportJob | WireA1111Job;

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
  /** `model`: the name an import installed; `response`: an A1111 job's answer (JSON) in a blob. */
  | { kind: 'done'; results: WireResult[]; timings: Record<string, number>; model?: string; response?: WireBlob; worker: string }
  /** frontGone: the job's front died; 'waiting' = skipped before it ran, 'running' = stopped mid-run. */
  | { kind: 'cancelled'; worker: string; stepsAfterCancel?: number; frontGone?: 'waiting' | 'running' }
  | { kind: 'error'; code: string; message: string; field?: string; worker: string; a1111?: WireA1111Error };

/** An A1111 route's own error (HTTPException, a Python exception, a 422 list), to answer as it would. */
export type WireA1111Error =
  | { status: number; errorType: string; detail: string; message: string; headers: Record<string, string> }
  | { status: 422; issues: Array<{ loc: Array<string | number>; msg: string; type: string }> };

/** What a worker tells the job's front as it runs (Redis pub/sub, best effort). */
export type WireEvent =
  | { job: string; kind: 'started'; worker: string }
  | { job: string; kind: 'progress'; step: number; total: number; etaMs?: number; phase?: 'import' }
  | { job: string; kind: 'preview'; index: number; step: number; format: FrameFormat; width: number; height: number; channels: number; bitDepth: 8 | 16 }
  | { job: string; kind: 'finished'; outcome?: WireOutcome }
  /** An A1111 job's shared.state, for the front's /sdapi/v1/progress. */
  | { job: string; kind: 'a1111-state'; state: StateDict; textinfo: string | null };

/** What a front asks of a running A1111 job besides cancelling it (A1111's /interrupt and /skip). */
export interface WireA1111Control {
  job: string;
  action: 'interrupt' | 'skip';
}

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

  /**
   * One queue per checkpoint file name, served by every worker whose checkpoints folder has it:
   * an import waits for one of those, and runs again on another if its worker dies. File names
   * may hold anything, so the queue is named by a hash of it.
   */
  checkpointQueue(file: string): string {
    return `checkpoint.${createHash('sha256').update(file, 'utf8').digest('hex').slice(0, 24)}`;
  }

  /**
   * A generate whose LoRAs only some of its model's workers hold goes on a queue of its own for
   * that model and set of names, served by the workers that hold them all (see loraSets).
   */
  loraSetQueue(model: string, loras: readonly string[]): string {
    const names = [...new Set(loras)].sort();
    return `loras.${createHash('sha256').update(JSON.stringify([model, names]), 'utf8').digest('hex').slice(0, 24)}`;
  }

  /** The LoRA-set queues fronts have used: queue name → {model, loras} as JSON, for workers to serve. */
  get loraSets(): string {
    return `${this.prefix}:lora-sets`;
  }

  /** A front says here that it put a LoRA-set queue in loraSets. */
  get loraSetsChannel(): string {
    return `${this.prefix}:lora-sets-added`;
  }

  /** Workers say here that their models changed (an import), so fronts tell their clients. */
  get modelsChannel(): string {
    return `${this.prefix}:models`;
  }

  /** /interrupt and /skip for running A1111 jobs (WireA1111Control as JSON). */
  get a1111Channel(): string {
    return `${this.prefix}:a1111-control`;
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
