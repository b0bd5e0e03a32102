/**
 * onnxruntime's optimized-model cache. Creating a session runs every graph optimizer over the model
 * (constant folding, fusions, the CPU provider's NCHWc layout rewrite); for a full-size UNet that
 * is seconds of every first job. onnxruntime can write the graph it ends with
 * (SessionOptions.optimizedModelFilePath); a later session opens that file and skips the work.
 *
 * The cache lives in a folder of its own: `model.onnx` (graph), `model.onnx_data` (its weights; a
 * UNet passes protobuf's 2 GB limit, so they must go external) and `key.json`, written last, which
 * says what the files were made from. The optimized graph is only valid for the same source files,
 * onnxruntime version, provider and CPU (NCHWc block sizes follow the instruction set), so any
 * difference in the key means the cache is rebuilt. A cache that fails to open is rebuilt too.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const CACHE_MODEL = 'model.onnx';
export const CACHE_DATA = 'model.onnx_data';
const KEY_FILE = 'key.json';

export interface CacheKey {
  ortVersion: string;
  provider: string;
  cpu: string;
  /** Size and modification time of the source model and of the weight files next to it. */
  files: Record<string, [number, number]>;
}

/**
 * The cache folder for `modelFile` under a cache root shared by many models: named by the model's
 * folder and a hash of its full path, so two models' "unet" never share a cache.
 */
export function cacheFolderFor(root: string, modelFile: string): string {
  const resolved = path.resolve(modelFile);
  const hash = createHash('sha256').update(resolved).digest('hex').slice(0, 16);
  return path.join(root, `${path.basename(path.dirname(resolved))}-${hash}`);
}

/**
 * What the cache must match: the source model, the files beside it that can hold its external
 * weights (other .onnx graphs and .json configs in the folder are not its weights) and the runtime.
 */
export async function cacheKey(source: string, ortVersion: string, provider: string): Promise<CacheKey> {
  const dir = path.dirname(source);
  const files: Record<string, [number, number]> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name !== path.basename(source) && /\.(onnx|json)$/i.test(name)) continue;
    const info = await stat(path.join(dir, name)).catch(() => undefined);
    if (info?.isFile() === true) files[name] = [info.size, Math.round(info.mtimeMs)];
  }
  const cpu = os.cpus()[0];
  return { ortVersion, provider, cpu: `${os.arch()} ${cpu?.model ?? 'unknown'}`, files };
}

/** Whether `cacheDir` holds a complete cache made for `key`. */
export async function cacheMatches(cacheDir: string, key: CacheKey): Promise<boolean> {
  if (!existsSync(path.join(cacheDir, CACHE_MODEL))) return false;
  try {
    const stored = JSON.parse(await readFile(path.join(cacheDir, KEY_FILE), 'utf8')) as unknown;
    return JSON.stringify(stored) === JSON.stringify(key);
  } catch {
    return false;
  }
}

/** Empties the cache folder before onnxruntime writes into it (a stale key never survives a rebuild). */
export async function prepareCache(cacheDir: string): Promise<void> {
  await rm(cacheDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
}

/** Marks the cache complete once onnxruntime has written it. */
export async function commitCache(cacheDir: string, key: CacheKey): Promise<void> {
  if (!existsSync(path.join(cacheDir, CACHE_MODEL))) return;
  await writeFile(path.join(cacheDir, KEY_FILE), JSON.stringify(key));
}

export async function dropCache(cacheDir: string): Promise<void> {
  await rm(cacheDir, { recursive: true, force: true });
}
