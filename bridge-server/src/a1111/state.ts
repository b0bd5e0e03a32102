/**
 * A1111's shared.state for the A1111 job the bridge is running (modules/shared_state.py): what
 * /progress reports and what /interrupt and /skip act on. Jobs run one at a time (the bridge's one
 * queue), so one state is enough; it is idle while the queue runs WebSocket jobs.
 */
import { BridgeError } from '@latent-bridge/shared';

export interface StateDict {
  skipped: boolean;
  interrupted: boolean;
  stopping_generation: boolean;
  job: string;
  job_count: number;
  job_timestamp: string;
  job_no: number;
  sampling_step: number;
  sampling_steps: number;
}

/** The latest latents worth previewing: the denoised estimate of the step, [batch, 4, h, w]. */
export interface PreviewLatents {
  data: Float32Array;
  shape: readonly [number, number, number, number];
  step: number;
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export class A1111State {
  job = '';
  jobCount = 0;
  jobNo = 0;
  jobTimestamp = '0';
  samplingStep = 0;
  samplingSteps = 0;
  interrupted = false;
  skipped = false;
  textinfo: string | null = null;
  timeStart = 0;
  /** Set while an A1111 job runs. */
  active = false;
  preview: PreviewLatents | undefined;
  /**
   * Told of /interrupt and /skip while a job is active: a queue front passes them on to the
   * workers running its A1111 jobs, whose own state then stops the pass.
   */
  readonly stopListeners = new Set<(action: 'interrupt' | 'skip') => void>();
  /** Aborts the sampling pass in progress (interrupt and skip stop it between steps). */
  private pass: AbortController | undefined;

  begin(job: string): void {
    this.job = job;
    this.jobCount = -1;
    this.jobNo = 0;
    this.jobTimestamp = timestamp(new Date());
    this.samplingStep = 0;
    this.samplingSteps = 0;
    this.interrupted = false;
    this.skipped = false;
    this.textinfo = null;
    this.timeStart = Date.now();
    this.preview = undefined;
    this.active = true;
  }

  end(): void {
    this.job = '';
    this.jobCount = 0;
    this.preview = undefined;
    this.pass = undefined;
    this.active = false;
  }

  nextjob(): void {
    this.jobNo++;
    this.samplingStep = 0;
  }

  /** A fresh signal for one sampling pass; aborted by interrupt/skip, or with the job's own signal. */
  startPass(jobSignal: AbortSignal): AbortSignal {
    const controller = new AbortController();
    this.pass = controller;
    if (this.interrupted || this.skipped) controller.abort();
    return AbortSignal.any([jobSignal, controller.signal]);
  }

  /** Whether a pass stopped because of /interrupt or /skip (and not the job's own cancellation). */
  stoppedByUser(jobSignal: AbortSignal, err: unknown): boolean {
    return !jobSignal.aborted && (this.interrupted || this.skipped) && err instanceof BridgeError && err.code === 'cancelled';
  }

  interrupt(): void {
    if (!this.active) return;
    this.interrupted = true;
    this.pass?.abort();
    for (const listener of this.stopListeners) listener('interrupt');
  }

  skip(): void {
    if (!this.active) return;
    this.skipped = true;
    this.pass?.abort();
    for (const listener of this.stopListeners) listener('skip');
  }

  /**
   * A remote job's state as its worker reports it (a queue front's /progress). The front's own
   * clock times it: ETA is measured from when the front first heard of the job.
   */
  mirror(d: StateDict, textinfo: string | null): void {
    if (!this.active) {
      this.timeStart = Date.now();
      this.preview = undefined;
    }
    this.active = true;
    this.job = d.job;
    this.jobCount = d.job_count;
    this.jobNo = d.job_no;
    this.jobTimestamp = d.job_timestamp;
    this.samplingStep = d.sampling_step;
    this.samplingSteps = d.sampling_steps;
    this.interrupted = d.interrupted;
    this.skipped = d.skipped;
    this.textinfo = textinfo;
  }

  dict(): StateDict {
    return {
      skipped: this.skipped,
      interrupted: this.interrupted,
      stopping_generation: false,
      job: this.job,
      job_count: this.jobCount,
      job_timestamp: this.jobTimestamp,
      job_no: this.jobNo,
      sampling_step: this.samplingStep,
      sampling_steps: this.samplingSteps,
    };
  }
}
