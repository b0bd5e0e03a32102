import { BridgeError } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import { LoadedModel, type LoadOptions } from '../pipeline/loaded-model.js';

export type ModelLoader = (info: ModelInfo, options: LoadOptions) => Promise<LoadedModel>;

interface Entry {
  name: string;
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
    private readonly loader: ModelLoader = LoadedModel.load,
  ) {}

  /**
   * Runs `use` with the model loaded, keeping it from being evicted meanwhile. A load failure is
   * a BridgeError (model_load_failed when the loader threw something uncatalogued).
   */
  async with<R>(info: ModelInfo, use: (model: LoadedModel) => Promise<R>): Promise<R> {
    const entry = this.acquire(info);
    try {
      let model: LoadedModel;
      try {
        model = await entry.model;
      } catch (err) {
        throw loadError(info, err);
      }
      return await use(model);
    } finally {
      entry.users--;
      entry.lastUsed = ++this.clock;
      // The last job using the model hands back what its decodes left behind (LoadedModel.settle).
      if (entry.users === 0) void entry.model.then((m) => m.settle()).catch(() => undefined);
    }
  }

  /** Whether `info` is loaded (or loading) now, i.e. a job with it would not pay for a load. */
  has(info: ModelInfo): boolean {
    return this.entries.has(cacheKey(info));
  }

  /** Names of the models held, least recently used first. */
  get loadedNames(): string[] {
    return [...this.entries.values()].sort((a, b) => a.lastUsed - b.lastUsed).map((e) => e.name);
  }

  get usedBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.bytes;
    return n;
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (e) => (await e.model.catch(() => undefined))?.release()));
  }

  private acquire(info: ModelInfo): Entry {
    const key = cacheKey(info);
    let entry = this.entries.get(key);
    if (!entry) {
      this.evictFor(info.sizeBytes);
      const model = this.loader(info, this.options);
      entry = { name: info.name, model, bytes: info.sizeBytes, lastUsed: ++this.clock, users: 0 };
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
    let used = this.usedBytes;
    const idle = [...this.entries.entries()].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, e] of idle) {
      if (used + incoming <= this.budgetBytes) break;
      this.entries.delete(key);
      used -= e.bytes;
      void e.model.then((m) => m.release()).catch(() => undefined);
    }
  }
}

/** A model with LoRAs merged is the same folder with other UNet / text-encoder files: its own entry. */
function cacheKey(info: ModelInfo): string {
  const c = info.components;
  return [info.dir, c.unet, c.textEncoder, c.textEncoder2 ?? ''].join('\n');
}

/** Load errors name the model (not a file path) as their field, so the client knows what failed. */
function loadError(info: ModelInfo, err: unknown): BridgeError {
  if (err instanceof BridgeError) return new BridgeError(err.code, `Model "${info.name}": ${err.message}`, 'model');
  const message = err instanceof Error ? err.message : String(err);
  return new BridgeError('model_load_failed', `Model "${info.name}" could not be loaded: ${message}`, 'model');
}
