import { BridgeError, type DecodedFrame, type FrameKind } from '@latent-bridge/shared';

export interface FrameStoreLimits {
  maxPendingFrames: number;
  frameTtlMs: number;
}

interface Held {
  frame: DecodedFrame;
  arrived: number;
  /** The job that claimed it; undefined while it waits for its generate. */
  claimedBy: string | undefined;
}

/**
 * The image and mask frames one connection has sent ahead of their `generate`. Frames are keyed
 * by the client's frame id; a generate claims them by id, job id and kind, and they are dropped
 * when that job ends, when unclaimed for too long, or when the connection closes.
 */
export class FrameStore {
  private readonly frames = new Map<number, Held>();

  constructor(
    private readonly limits: FrameStoreLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.frames.size;
  }

  get pending(): number {
    let n = 0;
    for (const h of this.frames.values()) if (h.claimedBy === undefined) n++;
    return n;
  }

  /** Keeps a decoded frame. Throws frame_invalid (id in use) or limit_exceeded (too many pending). */
  add(frame: DecodedFrame): void {
    this.expire();
    const { frameId, jobId } = frame.header;
    if (this.frames.has(frameId)) {
      throw new BridgeError('frame_invalid', `Frame id ${frameId} is already held on this connection; pick an unused id.`, 'frameId');
    }
    if (this.pending >= this.limits.maxPendingFrames) {
      throw new BridgeError(
        'limit_exceeded',
        `At most ${this.limits.maxPendingFrames} frames may wait for their generate; frame ${frameId} of job ${jobId} was dropped.`,
        'frameId',
      );
    }
    this.frames.set(frameId, { frame, arrived: this.now(), claimedBy: undefined });
  }

  /**
   * Hands the frame a generate refers to over to its job. Throws frame_missing (no such unclaimed
   * frame for this job) or frame_invalid (the frame is of another kind), with the generate's field.
   */
  claim(frameId: number, jobId: string, kind: FrameKind, field: string): DecodedFrame {
    this.expire();
    const held = this.frames.get(frameId);
    if (held === undefined || held.claimedBy !== undefined || held.frame.header.jobId !== jobId) {
      throw new BridgeError('frame_missing', `No frame ${frameId} for job ${jobId} on this connection.`, field);
    }
    if (held.frame.header.kind !== kind) {
      throw new BridgeError('frame_invalid', `Frame ${frameId} is a ${held.frame.header.kind} frame, ${field} needs a ${kind} frame.`, field);
    }
    held.claimedBy = jobId;
    return held.frame;
  }

  /** Drops the frames a job claimed (it ended). */
  release(jobId: string): void {
    for (const [id, held] of this.frames) if (held.claimedBy === jobId) this.frames.delete(id);
  }

  /** Drops unclaimed frames of a job (its generate was refused before claiming them). */
  dropUnclaimed(jobId: string): void {
    for (const [id, held] of this.frames) if (held.claimedBy === undefined && held.frame.header.jobId === jobId) this.frames.delete(id);
  }

  clear(): void {
    this.frames.clear();
  }

  /** Drops unclaimed frames older than the TTL. */
  expire(): void {
    const cutoff = this.now() - this.limits.frameTtlMs;
    for (const [id, held] of this.frames) if (held.claimedBy === undefined && held.arrived <= cutoff) this.frames.delete(id);
  }
}
