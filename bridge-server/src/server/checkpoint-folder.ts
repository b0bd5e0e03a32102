/**
 * The checkpoints folder the server is pointed at (an A1111 `models/Stable-diffusion`, a ComfyUI
 * `models/checkpoints`, or the bridge's own): the files there are listed to clients and imported
 * into the model store on request or on first use. Clients only ever name files by their plain
 * name; nothing they send can reach outside this folder.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError, type CheckpointSummary } from '@latent-bridge/shared';
import { modelNameFor } from '../convert/import-model.js';
import type { ModelStore } from '../models/index.js';

const CHECKPOINT_FILE = /\.(safetensors|ckpt|pt|pth)$/i;

export interface CheckpointFile {
  /** The file's name in the folder, as clients name it. */
  name: string;
  path: string;
  bytes: number;
  /** The model name an import installs it under by default. */
  modelName: string;
}

export class CheckpointFolder {
  readonly dir: string;

  constructor(
    dir: string,
    private readonly store: ModelStore,
  ) {
    this.dir = path.resolve(dir);
  }

  /** Checkpoint files directly in the folder, by name; an absent folder has none. */
  async files(): Promise<CheckpointFile[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [] as string[];
      throw err;
    });
    const files: CheckpointFile[] = [];
    for (const name of names.filter((n) => CHECKPOINT_FILE.test(n) && !n.startsWith('.')).sort()) {
      const full = path.join(this.dir, name);
      const s = await stat(full).catch(() => undefined);
      if (s?.isFile() !== true) continue;
      files.push({ name, path: full, bytes: s.size, modelName: modelNameFor(name) });
    }
    return files;
  }

  /** What clients see: each file and, when the store holds a model made from it, that model's name. */
  async list(): Promise<CheckpointSummary[]> {
    const made = new Map<string, string>();
    for (const entry of await this.store.list()) {
      const source = entry.info?.provenance?.source;
      if (source !== undefined) made.set(path.resolve(source), entry.name);
    }
    return (await this.files()).map((f) => {
      const imported = made.get(f.path);
      return { name: f.name, bytes: f.bytes, ...(imported !== undefined ? { imported } : {}) };
    });
  }

  /** The file a client names (its file name, or the model name it would be imported as). */
  async find(name: string, field: string): Promise<CheckpointFile> {
    const files = await this.files();
    const file = files.find((f) => f.name === name) ?? files.find((f) => f.modelName === name);
    if (file === undefined) {
      throw new BridgeError('model_not_found', `${field}: no checkpoint "${name}" in the bridge's checkpoints folder; ask list-models for the names.`, field);
    }
    return file;
  }

  /** The file a model name would come from on first use, if any (no error). */
  async forModel(modelName: string): Promise<CheckpointFile | undefined> {
    return (await this.files()).find((f) => f.modelName === modelName || f.name === modelName);
  }
}
