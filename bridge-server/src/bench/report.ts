/** Small helpers shared by the benchmarks: timing and a readable table on stdout. */
export async function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function section(title: string): void {
  console.log(`\n## ${title}`);
}

export function row(label: string, value: string): void {
  console.log(`${label.padEnd(52)} ${value}`);
}

export const fmtMs = (ms: number): string => `${ms.toFixed(1)} ms`;
export const fmtRatio = (r: number): string => `${r.toFixed(3)}×`;
export const fmtMb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
