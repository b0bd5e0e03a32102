import { BridgeError, toBridgeError, type GenerateMessage, type ImportModelMessage, type ServerMessage } from '@latent-bridge/shared';
import type { BridgeCore } from './bridge-core.js';
import { BridgeErrorWithId, errorFields } from './connection-errors.js';
import { imageFromFrame, maskFromFrame } from './frame-images.js';
import type { FrameStore } from './frame-store.js';
import type { QueuedJob } from './job-queue.js';
import type { JobEnd, JobSink, QueuedPayload } from './job-types.js';
import type { SocketSender } from './socket-sender.js';

export interface ConnectionJobsOptions {
  core: BridgeCore;
  clientId: string;
  out: SocketSender;
  frames: FrameStore;
  /** Previews are skipped while more than this many bytes wait to go out on the socket. */
  previewBacklogBytes: number;
  /** Whether the connection is past its welcome and still open: only then does a job report. */
  isReady: () => boolean;
  isClosed: () => boolean;
  /** Answers an error that is not a job's terminal message (the connection decides what ends it). */
  reportError: (err: unknown, id: string | undefined) => void;
}

interface ConnJob {
  state: 'preparing' | 'queued' | 'running';
  handle: QueuedJob<QueuedPayload> | undefined;
  ended: boolean;
}

export interface JobStatus {
  id: string;
  state: 'queued' | 'running';
  position: number;
}

/**
 * The jobs of one connection, from generate to their one terminal message: claiming their
 * frames, preparing and queueing them, cancelling them, and relaying what the runner reports.
 */
export class ConnectionJobs {
  private readonly jobs = new Map<string, ConnJob>();

  constructor(private readonly options: ConnectionJobsOptions) {}

  /** Whether `id` is an unfinished job of this connection. */
  has(id: string): boolean {
    return this.jobs.has(id);
  }

  /** What every new job must pass: a free id, a server taking work, room in this client's queue. */
  private checkAdmission(id: string): void {
    const { core } = this.options;
    if (this.jobs.has(id)) throw new BridgeError('invalid_field', `id: job "${id}" is still unfinished on this connection`, 'id');
    if (core.isStopping) throw new BridgeError('shutting_down', 'The server is shutting down; no new jobs are taken.');
    if (this.jobs.size >= core.limits.maxQueuePerClient) {
      throw new BridgeError('queue_full', `At most ${core.limits.maxQueuePerClient} unfinished jobs per client; wait for one to finish.`, 'id');
    }
  }

  /** An import-model: checked, then queued like a generate; it reports progress with phase 'import'. */
  importModel(msg: ImportModelMessage): void {
    const { core } = this.options;
    const id = msg.id;
    try {
      this.checkAdmission(id);
    } catch (err) {
      this.options.reportError(err, id);
      return;
    }
    const entry: ConnJob = { state: 'preparing', handle: undefined, ended: false };
    this.jobs.set(id, entry);
    void (async () => {
      const task = await core.prepareImport(msg);
      if (entry.ended || this.options.isClosed()) return;
      const { job, position } = core.submitImport(this.options.clientId, id, task, this.sinkFor(id, entry));
      entry.state = 'queued';
      entry.handle = job;
      this.options.out.send({ type: 'queued', id, position });
    })().catch((err: unknown) => {
      if (!entry.ended) this.end(id, { type: 'error', id, ...errorFields(toBridgeError(err)) });
    });
  }

  generate(msg: GenerateMessage): void {
    const { core, frames } = this.options;
    const id = msg.id;
    try {
      this.checkAdmission(id);
      core.checkScheduler(msg.scheduler);
    } catch (err) {
      frames.dropUnclaimed(id);
      this.options.reportError(err, id);
      return;
    }
    let imageFrame;
    let maskFrame;
    try {
      imageFrame = msg.image !== undefined ? frames.claim(msg.image.frame, id, 'image', 'image') : undefined;
      maskFrame = msg.mask !== undefined ? frames.claim(msg.mask.frame, id, 'mask', 'mask') : undefined;
    } catch (err) {
      frames.release(id);
      frames.dropUnclaimed(id);
      this.options.reportError(err, id);
      return;
    }
    const entry: ConnJob = { state: 'preparing', handle: undefined, ended: false };
    this.jobs.set(id, entry);
    void (async () => {
      const maxPixels = core.limits.maxPixels;
      const image = imageFrame !== undefined ? await imageFromFrame(imageFrame, maxPixels) : undefined;
      const mask = maskFrame !== undefined ? await maskFromFrame(maskFrame, maxPixels) : undefined;
      if (image !== undefined && mask !== undefined && (image.width !== mask.width || image.height !== mask.height)) {
        throw new BridgeError('mask_invalid', `mask: ${mask.width}×${mask.height} does not match the image's ${image.width}×${image.height}`, 'mask');
      }
      // A checkpoint imported on first use reports its progress before the job is queued.
      const spec = await core.prepare(msg, image, mask, {
        onImportProgress: (step, total) => {
          if (!entry.ended && this.options.isReady()) this.options.out.send({ type: 'progress', id, step, total, phase: 'import' });
        },
      });
      if (entry.ended || this.options.isClosed()) return;
      const { job, position } = core.submit(this.options.clientId, id, spec, this.sinkFor(id, entry));
      entry.state = 'queued';
      entry.handle = job;
      this.options.out.send({ type: 'queued', id, position });
    })().catch((err: unknown) => {
      if (!entry.ended) this.end(id, { type: 'error', id, ...errorFields(toBridgeError(err)) });
    });
  }

  /** Throws job_not_found (addressed to `id`) when there is no such unfinished job. */
  cancel(id: string): void {
    const entry = this.jobs.get(id);
    if (entry === undefined || entry.ended) {
      throw new BridgeErrorWithId('job_not_found', `No unfinished job ${id}.`, 'id', id);
    }
    if (entry.state === 'preparing') {
      this.end(id, { type: 'cancelled', id });
      return;
    }
    const { core, clientId } = this.options;
    const queue = core.queue;
    const running = queue.isRunning(entry.handle);
    queue.cancel(id, clientId);
    // A waiting job never reaches the runner, so it ends here; a running one ends when the
    // pipeline notices the abort (between steps) and the runner reports it.
    if (!running) this.end(id, { type: 'cancelled', id });
  }

  /** The jobs that reached the queue, for a `status` answer. */
  statuses(): JobStatus[] {
    const { core } = this.options;
    const { queue } = core;
    const jobs: JobStatus[] = [];
    for (const [id, entry] of this.jobs) {
      if (entry.handle === undefined) {
        // Accepted and still being prepared (images decoded, a checkpoint imported on first use):
        // it counts against the client's queue, so it is listed, behind everything queued now.
        jobs.push({ id, state: 'queued', position: core.queueLength() });
        continue;
      }
      // A front's job is on the shared queue until a worker starts it; its place there is Redis's.
      const running = core.isFront ? entry.state === 'running' : queue.isRunning(entry.handle);
      const position = running ? 0 : Math.max(core.isFront ? 1 : 0, queue.positionOf(entry.handle));
      jobs.push({ id, state: running ? 'running' : 'queued', position });
    }
    return jobs;
  }

  /**
   * Server shutdown: every unfinished job gets its one terminal message, `error` `shutting_down`
   * with its id, before the connection-level error; then everything is dropped as on a close.
   */
  endAll(e: BridgeError): void {
    for (const id of [...this.jobs.keys()]) this.end(id, { type: 'error', id, ...errorFields(e) });
    this.dropAll();
  }

  /** The connection is gone: cancel everything queued and silence every job's reports. */
  dropAll(): void {
    this.options.core.queue.cancelClient(this.options.clientId);
    for (const entry of this.jobs.values()) entry.ended = true;
    this.jobs.clear();
  }

  private sinkFor(id: string, entry: ConnJob): JobSink {
    const { out, previewBacklogBytes } = this.options;
    const live = () => !entry.ended && this.options.isReady();
    return {
      started: () => {
        if (!live()) return;
        entry.state = 'running';
        out.send({ type: 'started', id });
      },
      progress: (step, total, etaMs, phase) => {
        if (live()) out.send({ type: 'progress', id, step, total, ...(phase !== undefined ? { phase } : {}), ...(etaMs !== undefined ? { etaMs } : {}) });
      },
      wantsPreview: () => live() && out.bufferedAmount <= previewBacklogBytes,
      preview: (index, step, image) => {
        if (!live()) return;
        try {
          out.sendImage('preview', { id, index, step }, image);
        } catch {
          // A preview is optional: one whose frame cannot be built is skipped, not the job.
        }
      },
      // A result whose frame cannot be built throws (internal), and the job ends with that error
      // rather than quietly delivering fewer results than it made.
      result: (index, seed, parameters, image) => {
        if (live()) out.sendImage('result', { id, index, seed, parameters }, image);
      },
      finish: (end: JobEnd) => {
        if (entry.ended) return;
        if (end.kind === 'done') {
          this.end(id, {
            type: 'done',
            id,
            results: end.results,
            timings: end.timings,
            ...(end.model !== undefined ? { model: end.model } : {}),
            ...(end.warnings !== undefined ? { warnings: end.warnings } : {}),
          });
        }
        else if (end.kind === 'cancelled') this.end(id, { type: 'cancelled', id });
        else this.end(id, { type: 'error', id, ...errorFields(end.error) });
      },
    };
  }

  /** Sends a job's one terminal message and forgets the job and its frames. */
  private end(id: string, message: ServerMessage): void {
    const entry = this.jobs.get(id);
    if (entry === undefined || entry.ended) return;
    entry.ended = true;
    this.jobs.delete(id);
    this.options.frames.release(id);
    this.options.out.send(message);
  }
}
