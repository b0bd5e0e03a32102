/**
 * The tiling variant of a model: its UNet and VAE rewritten for circular padding, cached next to
 * the originals (component/model.a1111-tiling.onnx, with a small JSON recording the source's size
 * and time so a replaced model is rewritten again). The text encoder is shared with the original.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelInfo } from '../../models/index.js';
import { pythonError } from '../errors.js';
import { rewriteCircular } from './circular-conv.js';

const REWRITE_VERSION = 1;
const SUFFIX = '.a1111-tiling';

interface Stamp {
  version: number;
  size: number;
  mtimeMs: number;
  convs: number;
}

const pending = new Map<string, Promise<string>>();

async function fresh(stampFile: string, source: { size: number; mtimeMs: number }): Promise<boolean> {
  try {
    const s = JSON.parse(await readFile(stampFile, 'utf8')) as Partial<Stamp>;
    return s.version === REWRITE_VERSION && s.size === source.size && s.mtimeMs === source.mtimeMs;
  } catch {
    return false;
  }
}

/** The circular-padding copy of one component file, made once and reused while the source is unchanged. */
export function circularCopy(file: string): Promise<string> {
  const dst = path.join(path.dirname(file), `${path.basename(file, '.onnx')}${SUFFIX}.onnx`);
  let job = pending.get(dst);
  if (job === undefined) {
    job = (async () => {
      const source = await stat(file);
      const stampFile = `${dst}.json`;
      const made = await stat(dst).then(() => true, () => false);
      if (made && (await fresh(stampFile, source))) return dst;
      try {
        const { convs } = await rewriteCircular(file, dst);
        const stamp: Stamp = { version: REWRITE_VERSION, size: source.size, mtimeMs: source.mtimeMs, convs };
        await writeFile(stampFile, JSON.stringify(stamp));
      } catch (err) {
        throw pythonError('RuntimeError', `tiling: could not write the circular-padding copy of ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return dst;
    })();
    pending.set(dst, job);
    void job.finally(() => pending.delete(dst)).catch(() => undefined);
  }
  return job;
}

/** `info` with its UNet and VAE swapped for their circular-padding copies (a separate cache entry). */
export async function tiledModelInfo(info: ModelInfo): Promise<ModelInfo> {
  const c = info.components;
  const [unet, vaeDecoder, vaeEncoder] = await Promise.all([
    circularCopy(c.unet),
    circularCopy(c.vaeDecoder),
    c.vaeEncoder === undefined ? Promise.resolve(undefined) : circularCopy(c.vaeEncoder),
  ]);
  return { ...info, dir: `${info.dir}#a1111-tiling`, components: { ...c, unet, vaeDecoder, vaeEncoder } };
}
