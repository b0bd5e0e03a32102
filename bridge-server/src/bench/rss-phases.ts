/**
 * Peak RSS per phase of a bench process, from Linux's VmHWM: writing "5" to /proc/self/clear_refs
 * resets the high-water mark to the current RSS, so each phase's peak is its own. Elsewhere (no
 * /proc) every phase reports the process's lifetime peak.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface PhasePeak {
  phase: string;
  /** RSS when the phase began, MiB. */
  startMb: number;
  /** Highest RSS during the phase, MiB. */
  peakMb: number;
  /** RSS when the phase ended, MiB. */
  endMb: number;
  ms: number;
}

function statusMb(field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export class RssPhases {
  readonly phases: PhasePeak[] = [];

  /** Runs one phase and records its starting and peak RSS. */
  async measure<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const startMb = statusMb('VmRSS') ?? process.memoryUsage.rss() / 1048576;
    const reset = resetPeak();
    const started = performance.now();
    try {
      return await work();
    } finally {
      const peakMb = (reset ? statusMb('VmHWM') : undefined) ?? process.resourceUsage().maxRSS / 1024;
      const endMb = statusMb('VmRSS') ?? process.memoryUsage.rss() / 1048576;
      this.phases.push({ phase, startMb, peakMb, endMb, ms: performance.now() - started });
    }
  }
}
