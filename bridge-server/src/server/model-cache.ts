import type { ModelInfo } from '../models/index.js';
import { LoadedModel, type LoadOptions } from '../pipeline/loaded-model.js';

interface Entry {
  model: Promise<LoadedModel>;
  bytes: number;
  lastUsed: number;
  users: number;
}

/**
 * Loaded models kept across jobs, up to a memory budget measured by the models' file sizes (a fair
 * proxy for what onnxruntime holds). Least recently used models that no job is using are released
 * first; a model larger than the whole budget is still loaded, alone.
 */
export class ModelCache {
  private readonly entries = new Map<string, Entry>();
  private clock = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly options: LoadOptions = {},
    private readonly loader: (info: ModelInfo, options: LoadOptions) => Promise<LoadedModel> = LoadedModel.load,
  ) {}

  /** Runs `use` with the model loaded, keeping it from being evicted meanwhile. */
  async with<R>(info: ModelInfo, use: (model: LoadedModel) => Promise<R>): Promise<R> {
    const entry = this.acquire(info);
    try {
      return await use(await entry.model);
    } finally {
      entry.users--;
      entry.lastUsed = ++this.clock;
    }
  }

  get loadedNames(): string[] {
    return [...this.entries.keys()];
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (e) => (await e.model.catch(() => undefined))?.release()));
  }

  private acquire(info: ModelInfo): Entry {
    const key = info.dir;
    let entry = this.entries.get(key);
    if (!entry) {
      this.evictFor(info.sizeBytes);
      const model = this.loader(info, this.options);
      entry = { model, bytes: info.sizeBytes, lastUsed: ++this.clock, users: 0 };
      this.entries.set(key, entry);
      // A model that failed to load is forgotten so the next job tries again.
      model.catch(() => {
        if (this.entries.get(key)?.model === model) this.entries.delete(key);
      });
    }
    entry.users++;
    entry.lastUsed = ++this.clock;
    return entry;
  }

  private evictFor(incoming: number): void {
    let used = [...this.entries.values()].reduce((n, e) => n + e.bytes, 0);
    const idle = [...this.entries.entries()].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, e] of idle) {
      if (used + incoming <= this.budgetBytes) break;
      this.entries.delete(key);
      used -= e.bytes;
      void e.model.then((m) => m.release()).catch(() => undefined);
    }
  }
}
