/**
 * Rewritten copies of model files, made once and reused while the source is unchanged: written
 * next to the original (so external weights resolve as they do for it) with a small JSON stamp
 * of the source's size and time and the rewrite's version; a replaced model is rewritten again.
 * Concurrent requests for the same copy share one rewrite.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

interface Stamp {
  version: number;
  size: number;
  mtimeMs: number;
}

const pending = new Map<string, Promise<string>>();

async function fresh(stampFile: string, version: number, source: { size: number; mtimeMs: number }): Promise<boolean> {
  try {
    const s = JSON.parse(await readFile(stampFile, 'utf8')) as Partial<Stamp>;
    return s.version === version && s.size === source.size && s.mtimeMs === source.mtimeMs;
  } catch {
    return false;
  }
}

/** `<dir>/<name><suffix>.onnx` made by `rewrite(src, dst)` unless a fresh copy exists. */
export function variantFile(file: string, suffix: string, version: number, rewrite: (src: string, dst: string) => Promise<unknown>): Promise<string> {
  const dst = path.join(path.dirname(file), `${path.basename(file, '.onnx')}${suffix}.onnx`);
  let job = pending.get(dst);
  if (job === undefined) {
    job = (async () => {
      const source = await stat(file);
      const stampFile = `${dst}.json`;
      const made = await stat(dst).then(() => true, () => false);
      if (made && (await fresh(stampFile, version, source))) return dst;
      await rewrite(file, dst);
      const stamp: Stamp = { version, size: source.size, mtimeMs: source.mtimeMs };
      await writeFile(stampFile, JSON.stringify(stamp));
      return dst;
    })();
    pending.set(dst, job);
    void job.finally(() => pending.delete(dst)).catch(() => undefined);
  }
  return job;
}
