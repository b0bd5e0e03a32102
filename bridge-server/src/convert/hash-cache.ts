/**
 * SHA-256 of checkpoint files, remembered by path, size and modification time (as A1111's
 * cache.json does), so listing a checkpoints folder or re-importing an unchanged file does not read
 * gigabytes again.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { a1111ShortHash, hashModelFile } from '../checkpoint/model-hash.js';

interface Entry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface FileHash {
  sha256: string;
  /** A1111's `Model hash:` (10 hex digits). */
  shortHash: string;
}

export class HashCache {
  private entries: Map<string, Entry> | undefined;

  constructor(readonly file: string) {}

  /** The cached hash when the file is unchanged, else undefined (nothing is read). */
  async cached(target: string): Promise<FileHash | undefined> {
    const s = await stat(target);
    const e = (await this.load()).get(path.resolve(target));
    return e !== undefined && e.size === s.size && e.mtimeMs === s.mtimeMs ? { sha256: e.sha256, shortHash: a1111ShortHash(e.sha256) } : undefined;
  }

  async hash(target: string, options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<FileHash> {
    const hit = await this.cached(target);
    if (hit !== undefined) return hit;
    const before = await stat(target);
    const { sha256 } = await hashModelFile(target, options);
    (await this.load()).set(path.resolve(target), { size: before.size, mtimeMs: before.mtimeMs, sha256 });
    await this.save();
    return { sha256, shortHash: a1111ShortHash(sha256) };
  }

  private async load(): Promise<Map<string, Entry>> {
    if (this.entries !== undefined) return this.entries;
    const map = new Map<string, Entry>();
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, unknown>;
      for (const [key, value] of Object.entries(parsed)) {
        const v = value as Partial<Entry>;
        if (typeof v.size === 'number' && typeof v.mtimeMs === 'number' && typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256)) {
          map.set(key, { size: v.size, mtimeMs: v.mtimeMs, sha256: v.sha256 });
        }
      }
    } catch {
      // A missing or damaged cache only costs a re-hash.
    }
    this.entries = map;
    return map;
  }

  private async save(): Promise<void> {
    const entries = await this.load();
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(Object.fromEntries(entries), null, 1));
    await rename(temp, this.file);
  }
}
