/**
 * The files of a user's model-asset folder (LoRAs, embeddings), as A1111 finds them: any file
 * whose name matches, in the folder and its subfolders, sorted, hidden entries skipped. An absent
 * folder has none.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

const MAX_DEPTH = 4;

export async function filesUnder(dir: string, pattern: RegExp): Promise<string[]> {
  const out: string[] = [];
  await walk(dir, pattern, 0, out);
  return out;
}

async function walk(dir: string, pattern: RegExp, depth: number, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory() && depth < MAX_DEPTH) await walk(full, pattern, depth + 1, out);
    else if (e.isFile() && pattern.test(e.name)) out.push(full);
  }
}
