import type { Redis } from 'ioredis';
import type { ModelInfo } from '../models/index.js';
import type { LoraFolder } from '../server/lora-folder.js';
import type { AdvertisedLora } from './registry.js';
import type { ClusterKeys } from './wire.js';
import type { QueueServer } from './worker-queues.js';

/** How often a worker looks at its LoRA folder again for files copied in or removed. */
export const LORA_SCAN_MS = 5000;

/**
 * The LoRA files a worker advertises (name, family, alias, size, the short hash once a job has
 * computed it), rescanned now and then, and the LoRA-set queues (ClusterKeys.loraSetQueue) it
 * serves: those for a model it has and names its folder holds.
 */
export class WorkerLoras {
  private current: AdvertisedLora[] = [];
  private key = '';
  private scannedAt = 0;
  private scanning: Promise<boolean> | undefined;

  constructor(
    private readonly folder: LoraFolder,
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
  ) {}

  get advertised(): AdvertisedLora[] {
    return this.current;
  }

  /** Rescans when the last scan is older than LORA_SCAN_MS (or `force`); true when the list changed. */
  scan(force = false): Promise<boolean> {
    if (!force && Date.now() - this.scannedAt < LORA_SCAN_MS) return Promise.resolve(false);
    this.scanning ??= this.read().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  /** Serves every known LoRA-set queue this worker can run a job of. */
  async serveSets(server: QueueServer, models: ModelInfo[]): Promise<void> {
    const sets = await this.redis.hgetall(this.keys.loraSets);
    for (const [queue, text] of Object.entries(sets)) {
      const set = parseSet(text);
      if (set === undefined || !models.some((m) => m.name === set.model)) continue;
      if (set.loras.every((name) => this.current.some((l) => l.name === name || l.alias === name))) server.serve(queue);
    }
  }

  private async read(): Promise<boolean> {
    const out: AdvertisedLora[] = [];
    for (const e of await this.folder.files()) {
      const hash = this.folder.knownShortHash(e);
      out.push({ name: e.name, ...(e.family !== undefined ? { family: e.family } : {}), ...(e.alias !== undefined ? { alias: e.alias } : {}), path: e.path, bytes: e.bytes, ...(hash !== undefined ? { shortHash: hash } : {}) });
    }
    // Only what clients and routing see counts as a change (a hash learned later does not).
    const key = JSON.stringify(out.map((l) => [l.name, l.family, l.alias, l.bytes]));
    const changed = this.scannedAt !== 0 && key !== this.key;
    this.current = out;
    this.key = key;
    this.scannedAt = Date.now();
    return changed;
  }
}

function parseSet(text: string): { model: string; loras: string[] } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { model, loras } = value as { model?: unknown; loras?: unknown };
    if (typeof model !== 'string' || !Array.isArray(loras) || !loras.every((l): l is string => typeof l === 'string')) return undefined;
    return { model, loras };
  } catch {
    return undefined;
  }
}
