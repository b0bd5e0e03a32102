/**
 * An import writes into a hidden staging folder beside its destination and renames it into place
 * only when every file is complete, so a crash, Ctrl-C or a full disk never leaves half a model
 * where the store looks. Staging folders of processes that died are swept on the next import.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';

const PREFIX = '.importing-';
const OWNER_FILE = '.owner';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StagingFolder {
  private constructor(readonly dir: string) {}

  /** A fresh staging folder in `parent` (the destination's parent, so the final rename stays on one file system). */
  static async create(parent: string, name: string): Promise<StagingFolder> {
    await mkdir(parent, { recursive: true });
    const dir = path.join(parent, `${PREFIX}${name}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir);
    await writeFile(path.join(dir, OWNER_FILE), String(process.pid));
    return new StagingFolder(dir);
  }

  /**
   * Moves the finished folder to `destination`. An existing destination is refused unless
   * `replace`, in which case it is swapped out first and removed after the new one is in place.
   */
  async commit(destination: string, replace: boolean): Promise<void> {
    await rm(path.join(this.dir, OWNER_FILE), { force: true });
    const existing = await stat(destination).catch(() => undefined);
    if (existing !== undefined && !replace) {
      throw new BridgeError('invalid_field', `${destination} already exists; choose another --name or pass --replace`, 'name');
    }
    if (existing === undefined) {
      await rename(this.dir, destination);
      return;
    }
    const old = `${this.dir}.old`;
    await rename(destination, old);
    try {
      await rename(this.dir, destination);
    } catch (err) {
      await rename(old, destination).catch(() => undefined);
      throw err;
    }
    await rm(old, { recursive: true, force: true });
  }

  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Removes staging folders in `parent` left by processes that no longer run. Returns how many. */
export async function sweepStaleStaging(parent: string): Promise<number> {
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  let removed = 0;
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith(PREFIX)) continue;
    const dir = path.join(parent, entry.name);
    const owner = Number.parseInt(await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) continue;
    await rm(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** Refuses up front when `dir`'s file system has less than `bytes` free (with 5 % to spare). */
export async function requireFreeSpace(dir: string, bytes: number): Promise<void> {
  const fs = await statfs(dir).catch(() => undefined);
  if (fs === undefined) return;
  const free = fs.bavail * fs.bsize;
  const needed = Math.ceil(bytes * 1.05);
  if (free < needed) {
    const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;
    throw new BridgeError('import_failed', `Not enough disk space in ${dir}: the import needs about ${gb(needed)}, ${gb(free)} is free`, 'out');
  }
}
