import type { CheckpointFolder } from '../server/checkpoint-folder.js';
import type { CheckpointImports } from '../server/checkpoint-imports.js';
import type { AdvertisedCheckpoint } from './registry.js';

/** How often a worker looks at its checkpoints folder again for files copied in or removed. */
export const CHECKPOINT_SCAN_MS = 5000;

/**
 * The checkpoint files a worker advertises: name, size, the model made from each (if any) and the
 * hash when cached. Scanned now and then rather than every heartbeat: it is a folder listing.
 */
export class WorkerCheckpoints {
  private current: AdvertisedCheckpoint[] = [];
  private scannedAt = 0;
  private scanning: Promise<AdvertisedCheckpoint[]> | undefined;

  constructor(
    private readonly folder: CheckpointFolder,
    private readonly imports: CheckpointImports,
  ) {}

  get advertised(): AdvertisedCheckpoint[] {
    return this.current;
  }

  /** The files now, rescanned when the last scan is older than CHECKPOINT_SCAN_MS (or `force`). */
  async scan(force = false): Promise<AdvertisedCheckpoint[]> {
    if (!force && Date.now() - this.scannedAt < CHECKPOINT_SCAN_MS) return this.current;
    this.scanning ??= this.read().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async read(): Promise<AdvertisedCheckpoint[]> {
    const [files, summaries] = await Promise.all([this.folder.files(), this.folder.list()]);
    const imported = new Map(summaries.map((s) => [s.name, s.imported]));
    const out: AdvertisedCheckpoint[] = [];
    for (const f of files) {
      const hash = await this.imports.cachedHash(f);
      const made = imported.get(f.name);
      out.push({ name: f.name, bytes: f.bytes, path: f.path, modelName: f.modelName, ...(made !== undefined ? { imported: made } : {}), ...(hash !== undefined ? { sha256: hash.sha256 } : {}) });
    }
    this.current = out;
    this.scannedAt = Date.now();
    return out;
  }
}
