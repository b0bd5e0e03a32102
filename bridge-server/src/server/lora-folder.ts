/**
 * The LoRA folder the server is pointed at (the bridge's own, or an A1111 `models/Lora`): the
 * files in it and its subfolders are listed to clients by file stem (what `<lora:NAME:w>` names),
 * with the family each was trained for and kohya's `ss_output_name` alias; clients name them,
 * never paths. What a file holds (family, alias, A1111 hash) is read once per file version.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { filesUnder } from './folder-files.js';
import { BridgeError, type LoraSummary } from '@latent-bridge/shared';
import { a1111NetworkShortHash, hashModelFile, openCheckpoint } from '../checkpoint/index.js';
import { detectLoraFamily } from '../lora/lora-family.js';
import { readLoraFile } from '../lora/lora-file.js';
import type { ModelFamily } from '../models/families.js';

const LORA_FILE = /\.(safetensors|pt|ckpt)$/i;

export interface LoraFileEntry {
  name: string;
  path: string;
  family: ModelFamily | undefined;
  alias: string | undefined;
  /** The file's size (a queue worker advertises it). */
  bytes: number;
  /** Why the file cannot be used (not a LoRA, an unsupported algorithm); such files are not listed. */
  problem: string | undefined;
}

interface Known {
  stamp: string;
  entry: LoraFileEntry;
  hash?: Promise<string>;
  /** The hash once computed: a queue worker advertises it without hashing a file just for that. */
  hashed?: string;
}

/**
 * What a core needs of a LoRA folder. A queue front's lists what its workers advertise and checks
 * names against it; the files themselves are found and merged on the worker that runs the job.
 */
export type LoraSource = Pick<LoraFolder, 'files' | 'list' | 'find' | 'shortHash'>;

export class LoraFolder {
  readonly dir: string;
  private readonly known = new Map<string, Known>();

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  private async describe(file: string): Promise<LoraFileEntry | undefined> {
    const s = await stat(file).catch(() => undefined);
    if (s === undefined) return undefined;
    const stamp = `${s.size}:${s.mtimeMs}`;
    const cached = this.known.get(file);
    if (cached?.stamp === stamp) return cached.entry;
    const name = path.basename(file).replace(LORA_FILE, '');
    let entry: LoraFileEntry;
    try {
      const source = await openCheckpoint(file);
      try {
        const lora = await readLoraFile(source);
        const alias = lora.metadata['ss_output_name'];
        entry = { name, path: file, family: detectLoraFamily(lora), alias: alias !== undefined && alias !== '' && alias !== name ? alias : undefined, bytes: s.size, problem: undefined };
      } finally {
        await source.close();
      }
    } catch (err) {
      entry = { name, path: file, family: undefined, alias: undefined, bytes: s.size, problem: err instanceof Error ? err.message : String(err) };
    }
    this.known.set(file, { stamp, entry });
    return entry;
  }

  /** Every usable LoRA file, by name. */
  async files(): Promise<LoraFileEntry[]> {
    const paths = await filesUnder(this.dir, LORA_FILE);
    const entries: LoraFileEntry[] = [];
    for (const p of paths) {
      const e = await this.describe(p);
      if (e !== undefined && e.problem === undefined) entries.push(e);
    }
    // By name, wherever in the subfolders each file sits.
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async list(): Promise<LoraSummary[]> {
    return (await this.files()).map((e) => ({ name: e.name, ...(e.family !== undefined ? { family: e.family } : {}), ...(e.alias !== undefined ? { alias: e.alias } : {}) }));
  }

  /** The LoRA a client names (file stem, then alias); model_not_found naming `field` otherwise. */
  async find(name: string, field: string): Promise<LoraFileEntry> {
    const paths = await filesUnder(this.dir, LORA_FILE);
    const described = (await Promise.all(paths.map((p) => this.describe(p)))).filter((e): e is LoraFileEntry => e !== undefined);
    const found = described.find((e) => e.name === name) ?? described.find((e) => e.alias === name);
    if (found === undefined) throw new BridgeError('model_not_found', `${field}: no LoRA "${name}" in the bridge's LoRA folder; the models message lists them.`, field);
    if (found.problem !== undefined) throw new BridgeError('checkpoint_unsupported', `${field}: ${found.problem}`, field);
    return found;
  }

  /** A1111's short hash of the file (`Lora hashes:`): the addnet hash of a .safetensors, else the file's sha256; 12 hex digits. */
  shortHash(entry: LoraFileEntry): Promise<string> {
    const known = this.known.get(entry.path);
    const hash = known?.hash ?? hashModelFile(entry.path, { addnet: /\.safetensors$/i.test(entry.path) }).then((h) => a1111NetworkShortHash(h.addnet ?? h.sha256));
    if (known !== undefined && known.hash === undefined) {
      known.hash = hash;
      void hash.then((h) => (known.hashed = h), () => undefined);
    }
    return hash;
  }

  /** The short hash if it was computed already (by a job that used the file), else undefined. */
  knownShortHash(entry: LoraFileEntry): string | undefined {
    return this.known.get(entry.path)?.hashed;
  }
}
