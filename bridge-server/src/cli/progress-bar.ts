/**
 * A one-line progress bar on stderr for downloads and generation steps. On a terminal it redraws
 * in place at most ~10 times a second; piped into a file or CI log it prints a plain line now and
 * then instead of carriage-return noise.
 */

export interface ProgressBarOptions {
  label: string;
  total: number;
  unit?: 'bytes' | 'steps';
  stream?: NodeJS.WriteStream;
  /** Milliseconds between redraws on a TTY (default 100). */
  redrawMs?: number;
  /** Milliseconds between plain lines on a non-TTY stream (default 5000). */
  plainIntervalMs?: number;
  /** Clock for tests. */
  now?: () => number;
}

export interface ProgressBar {
  update(done: number, total?: number, label?: string): void;
  finish(message?: string): void;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? 'steps';
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const redrawMs = options.redrawMs ?? 100;
  const plainMs = options.plainIntervalMs ?? 5000;
  const started = now();
  let label = options.label;
  let total = options.total;
  let done = 0;
  let lastDraw = -Infinity;
  let finished = false;
  let drawnWidth = 0;

  const amount = (n: number): string => (unit === 'bytes' ? formatBytes(n) : String(n));

  const line = (width: number): string => {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const rateText = unit === 'bytes' ? `${formatBytes(rate)}/s` : `${rate.toFixed(2)} it/s`;
    const eta = rate > 0 && total > 0 ? formatDuration((total - done) / rate) : '--:--';
    const counts = `${amount(done)}/${amount(total)}`;
    const tail = ` ${(fraction * 100).toFixed(0).padStart(3)}% ${counts} ${rateText} ETA ${eta}`;
    const barWidth = Math.max(10, Math.min(40, width - label.length - tail.length - 4));
    const filled = Math.round(fraction * barWidth);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`;
  };

  const draw = (force: boolean): void => {
    const t = now();
    if (tty) {
      if (!force && t - lastDraw < redrawMs) return;
      const text = line(stream.columns ?? 80);
      const pad = drawnWidth > text.length ? ' '.repeat(drawnWidth - text.length) : '';
      stream.write(`\r${text}${pad}`);
      drawnWidth = text.length;
    } else {
      if (!force && t - lastDraw < plainMs) return;
      stream.write(`${line(80)}\n`);
    }
    lastDraw = t;
  };

  return {
    update(value: number, newTotal?: number, newLabel?: string): void {
      if (finished) return;
      done = value;
      if (newTotal !== undefined) total = newTotal;
      if (newLabel !== undefined && newLabel !== label) {
        label = newLabel;
        // A new label (next file) is worth a line of its own in logs.
        if (!tty) lastDraw = -Infinity;
      }
      draw(false);
    },
    finish(message?: string): void {
      if (finished) return;
      finished = true;
      if (tty) {
        draw(true);
        stream.write(message !== undefined ? `\n${message}\n` : '\n');
      } else {
        stream.write(`${message ?? line(80)}\n`);
      }
    },
  };
}
