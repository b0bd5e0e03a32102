/**
 * Imports from the checkpoints folder, for import-model jobs and for generate jobs that name a
 * checkpoint not imported yet. Progress goes out as thousandths of the weights written (the file's
 * sha256 is computed alongside the conversion).
 */
import path from 'node:path';
import { HashCache, type FileHash } from '../convert/hash-cache.js';
import { importModel, type ImportProgress, type ImportResult } from '../convert/import-model.js';
import type { ModelStore } from '../models/index.js';
import type { CheckpointFile } from './checkpoint-folder.js';

export const IMPORT_PROGRESS_TOTAL = 1000;

export interface ImportRun {
  signal?: AbortSignal;
  /** step of IMPORT_PROGRESS_TOTAL. */
  onProgress?: (step: number, total: number) => void;
}

export function importStep(p: ImportProgress): number {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  return Math.floor(IMPORT_PROGRESS_TOTAL * fraction);
}

export class CheckpointImports {
  private readonly hashCache: HashCache;
  /** First-use imports in flight, by file: a second job naming the same checkpoint waits for the first. */
  private readonly firstUse = new Map<string, Promise<ImportResult>>();

  constructor(
    private readonly store: ModelStore,
    private readonly onInstalled: (result: ImportResult) => void,
  ) {
    this.hashCache = new HashCache(path.join(store.root, '.hash-cache.json'));
  }

  async run(file: CheckpointFile, name: string | undefined, run: ImportRun = {}): Promise<ImportResult> {
    let last = -1;
    const result = await importModel({
      source: file.path,
      store: this.store,
      ...(name !== undefined ? { name } : {}),
      hashCache: this.hashCache,
      ...(run.signal !== undefined ? { signal: run.signal } : {}),
      onProgress: (p) => {
        const step = importStep(p);
        if (step === last) return;
        last = step;
        run.onProgress?.(step, IMPORT_PROGRESS_TOTAL);
      },
    });
    if (!result.reused) this.onInstalled(result);
    return result;
  }

  /** The file's hash when the cache has it for the file as it is now; never reads the file. */
  async cachedHash(file: CheckpointFile): Promise<FileHash | undefined> {
    return this.hashCache.cached(file.path).catch(() => undefined);
  }

  /**
   * The import a generate waits for. It is not cancelled with the job that started it: another
   * job may be waiting for it too, and a finished import is kept for the next use.
   */
  forFirstUse(file: CheckpointFile, onProgress?: (step: number, total: number) => void): Promise<ImportResult> {
    let pending = this.firstUse.get(file.path);
    if (pending === undefined) {
      pending = this.run(file, undefined, onProgress !== undefined ? { onProgress } : {}).finally(() => this.firstUse.delete(file.path));
      this.firstUse.set(file.path, pending);
    }
    return pending;
  }
}
