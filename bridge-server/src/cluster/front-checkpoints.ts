import { BridgeError, type CheckpointSummary } from '@latent-bridge/shared';
import type { CheckpointSource } from '../server/bridge-core.js';
import type { CheckpointImporter } from '../server/import-task.js';
import type { CheckpointFile } from '../server/checkpoint-folder.js';
import type { RemoteCatalog } from './registry.js';

/** Runs a first-use import of a checkpoint file on a worker that holds it. */
export type RemoteImport = (file: string, onProgress: ((step: number, total: number) => void) | undefined) => Promise<{ name: string }>;

/**
 * A front's checkpoints folder: the files its live workers advertise. Clients name them as they
 * name a single bridge's; the import itself runs on a worker that holds the file (see the
 * checkpoint queues in wire.ts), so a file's `path` is where it is on that worker's machine.
 */
export class RemoteCheckpoints implements CheckpointSource, CheckpointImporter {
  /** First-use imports in flight from this front, by file: jobs naming the same one wait together. */
  private readonly firstUse = new Map<string, Promise<{ name: string }>>();

  constructor(
    private readonly catalog: RemoteCatalog,
    private readonly remoteImport: RemoteImport,
  ) {}

  async files(): Promise<CheckpointFile[]> {
    return [...(await this.catalog.checkpoints()).values()]
      .map((c) => ({ name: c.name, path: c.path, bytes: c.bytes, modelName: c.modelName }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async list(): Promise<CheckpointSummary[]> {
    return [...(await this.catalog.checkpoints()).values()]
      .map((c) => ({ name: c.name, bytes: c.bytes, ...(c.imported !== undefined ? { imported: c.imported } : {}) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async find(name: string, field: string): Promise<CheckpointFile> {
    let file = await this.lookup(name);
    if (file === undefined) {
      // A worker that just started (or a file just copied in) may not be in the cached listing yet.
      this.catalog.invalidate();
      file = await this.lookup(name);
    }
    if (file === undefined) {
      throw new BridgeError('model_not_found', `${field}: no live worker on this queue has a checkpoint "${name}" in its checkpoints folder; ask list-models for the names.`, field);
    }
    return file;
  }

  async forModel(modelName: string): Promise<CheckpointFile | undefined> {
    return this.lookup(modelName);
  }

  /** Never called on a front: its import-model jobs go to a worker whole (QueueFront.run). */
  run(file: CheckpointFile): Promise<{ name: string }> {
    return Promise.reject(new BridgeError('internal', `${file.name}: a queue front does not import checkpoints itself.`));
  }

  forFirstUse(file: CheckpointFile, onProgress?: (step: number, total: number) => void): Promise<{ name: string }> {
    let pending = this.firstUse.get(file.name);
    if (pending === undefined) {
      pending = this.remoteImport(file.name, onProgress).finally(() => this.firstUse.delete(file.name));
      this.firstUse.set(file.name, pending);
    }
    return pending;
  }

  private async lookup(name: string): Promise<CheckpointFile | undefined> {
    const files = await this.files();
    return files.find((f) => f.name === name) ?? files.find((f) => f.modelName === name);
  }
}
