/**
 * The embeddings folder (the bridge's own, or an A1111 `embeddings` folder): every textual-inversion
 * file in it and its subfolders, triggered by its file stem. Files are read once per version; the
 * ones that are no embedding are left out of the list (and named in the server log once).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { filesUnder } from './folder-files.js';
import type { EmbeddingSummary } from '@latent-bridge/shared';
import { a1111NetworkShortHash, hashModelFile, openCheckpoint } from '../checkpoint/index.js';
import { embeddingFamily, readEmbeddingFile, type EmbeddingFile } from '../embeddings/embedding-file.js';

const EMBEDDING_FILE = /\.(safetensors|pt|bin)$/i;

interface Known {
  stamp: string;
  file: string;
  embedding: EmbeddingFile | undefined;
  hash?: Promise<string>;
}

export class EmbeddingFolder {
  readonly dir: string;
  private readonly known = new Map<string, Known>();

  constructor(
    dir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.dir = path.resolve(dir);
  }

  private async read(file: string): Promise<Known | undefined> {
    const s = await stat(file).catch(() => undefined);
    if (s === undefined) return undefined;
    const stamp = `${s.size}:${s.mtimeMs}`;
    const cached = this.known.get(file);
    if (cached?.stamp === stamp) return cached;
    let embedding: EmbeddingFile | undefined;
    try {
      const source = await openCheckpoint(file);
      try {
        embedding = await readEmbeddingFile(source, path.basename(file).replace(EMBEDDING_FILE, ''));
      } finally {
        await source.close();
      }
    } catch (err) {
      this.log(`embeddings: ${file} left out: ${err instanceof Error ? err.message : String(err)}`);
    }
    const known: Known = { stamp, file, embedding };
    this.known.set(file, known);
    return known;
  }

  /** Every embedding in the folder (the first of two with one name wins, as files sort). */
  async embeddings(): Promise<Array<{ file: string; embedding: EmbeddingFile }>> {
    const paths = await filesUnder(this.dir, EMBEDDING_FILE);
    const out: Array<{ file: string; embedding: EmbeddingFile }> = [];
    const names = new Set<string>();
    for (const p of paths) {
      const k = await this.read(p);
      if (k?.embedding === undefined || names.has(k.embedding.name)) continue;
      names.add(k.embedding.name);
      out.push({ file: p, embedding: k.embedding });
    }
    return out;
  }

  async list(): Promise<EmbeddingSummary[]> {
    return (await this.embeddings()).map(({ embedding: e }) => {
      const family = embeddingFamily(e);
      return { name: e.name, ...(family !== undefined ? { family } : {}), vectors: e.text_encoder.count };
    });
  }

  /** A1111's short hash of an embedding file (`TI hashes:`): its sha256, 12 hex digits. */
  shortHash(file: string): Promise<string> {
    const known = this.known.get(file);
    const hash = known?.hash ?? hashModelFile(file).then((h) => a1111NetworkShortHash(h.sha256));
    if (known !== undefined) known.hash = hash;
    return hash;
  }
}
