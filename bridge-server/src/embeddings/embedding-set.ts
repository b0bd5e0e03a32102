/**
 * Embeddings applied to a model: each embedding's vectors get token ids past the vocabulary, the
 * text encoders get a copy whose token table has those rows appended (written beside the model,
 * kept and found again for the same set of files), and the tokenizers learn the trigger words. A
 * prompt using a trigger word then reaches the embedding's vectors through the ordinary lookup,
 * one position per vector, as A1111's EmbeddingsWithFixes places them.
 */
import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { listFloatInitializers, readInitializer, writePatchedModel } from '../onnx-rewrite/initializer-patch.js';
import { variantFile } from '../onnx-rewrite/variant-file.js';
import type { AddedWord } from '../tokenizer/index.js';
import type { EmbeddingFile } from './embedding-file.js';
import { guardPooling } from './pooling-guard.js';

const TOKEN_TABLE = 'text_model.embeddings.token_embedding.weight';
const PATCH_VERSION = 2;
/** A1111's chunk is 75 tokens: a longer embedding could never be placed. */
const MAX_VECTORS = 75;

export type TextEncoderFiles = { text_encoder: string; text_encoder_2?: string | undefined };

export interface EmbeddedModel {
  files: TextEncoderFiles;
  /** Trigger words and their ids, for every tokenizer of the model. */
  words: AddedWord[];
}

/** Embeddings in a fixed order (by name), so a set always gets the same ids. */
function ordered(embeddings: readonly EmbeddingFile[]): EmbeddingFile[] {
  return [...embeddings].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function setKey(files: TextEncoderFiles, embeddings: readonly EmbeddingFile[]): Promise<string> {
  const h = createHash('sha256').update(String(PATCH_VERSION));
  for (const file of [files.text_encoder, files.text_encoder_2]) {
    if (file === undefined) continue;
    const s = await stat(file);
    h.update(`${file}:${s.size}:${s.mtimeMs}`);
  }
  for (const e of embeddings) {
    h.update(e.name);
    for (const v of [e.text_encoder, e.text_encoder_2]) if (v !== undefined) h.update(new Uint8Array(v.values.buffer, v.values.byteOffset, v.values.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}

export interface ApplyOptions {
  /** Leave out embeddings made for another model (other widths, no SDXL vectors) instead of refusing them; as A1111 loads only the compatible ones. */
  skipIncompatible?: boolean;
}

const recent = new Map<string, EmbeddedModel>();

/** The text encoders with `embeddings` added, and the words for the tokenizers; see the module comment. */
export async function applyEmbeddings(files: TextEncoderFiles, embeddings: readonly EmbeddingFile[], o: ApplyOptions = {}): Promise<EmbeddedModel> {
  if (embeddings.length === 0) return { files, words: [] };
  const memo = `${o.skipIncompatible === true}:${await setKey(files, ordered(embeddings))}`;
  const known = recent.get(memo);
  if (known !== undefined && (await Promise.all(Object.values(known.files).map((f) => stat(f as string).then(() => true, () => false)))).every(Boolean)) return known;
  const made = await applyUncached(files, embeddings, o);
  recent.set(memo, made);
  for (const old of [...recent.keys()].slice(0, Math.max(0, recent.size - 16))) recent.delete(old);
  return made;
}

function fits(e: EmbeddingFile, components: readonly ('text_encoder' | 'text_encoder_2')[], tables: ReadonlyMap<string, { width: number }>): boolean {
  return components.every((c) => e[c] !== undefined && e[c]?.width === tables.get(c)?.width);
}

async function applyUncached(files: TextEncoderFiles, embeddings: readonly EmbeddingFile[], o: ApplyOptions): Promise<EmbeddedModel> {
  const components = (['text_encoder', 'text_encoder_2'] as const).filter((c) => files[c] !== undefined);
  const tables = new Map<string, { rows: number; width: number }>();
  for (const c of components) {
    const init = (await listFloatInitializers(files[c] as string)).get(TOKEN_TABLE);
    const [rows, width] = init?.dims ?? [];
    if (init === undefined || rows === undefined || width === undefined) throw new BridgeError('model_invalid', `${files[c] ?? c} has no ${TOKEN_TABLE} initializer to add embeddings to`, c);
    tables.set(c, { rows, width });
  }
  const list = ordered(o.skipIncompatible === true ? embeddings.filter((e) => fits(e, components, tables)) : embeddings);
  if (list.length === 0) return { files, words: [] };
  // Shared ids for both encoders of SDXL: after the larger vocabulary.
  const first = Math.max(...[...tables.values()].map((t) => t.rows));
  const words: AddedWord[] = [];
  let next = first;
  for (const e of list) {
    for (const c of components) {
      const v = e[c];
      const width = tables.get(c)?.width;
      if (v === undefined) throw new BridgeError('invalid_field', `embedding "${e.name}" has no vectors for this model's ${c} (an SD 1.x/2.x embedding on SDXL?)`, e.name);
      if (v.width !== width) throw new BridgeError('invalid_field', `embedding "${e.name}" is ${v.width} wide; this model's ${c} takes ${width ?? '?'} (an embedding for another family)`, e.name);
    }
    if (e.text_encoder.count > MAX_VECTORS) throw new BridgeError('invalid_field', `embedding "${e.name}" has ${e.text_encoder.count} vectors; at most ${MAX_VECTORS} fit in a prompt chunk`, e.name);
    const ids = Array.from({ length: e.text_encoder.count }, (_, i) => next + i);
    next += e.text_encoder.count;
    words.push({ text: e.name, ids });
    if (e.token !== undefined && e.token !== e.name) words.push({ text: e.token, ids });
  }
  const key = await setKey(files, list);
  const out: TextEncoderFiles = { ...files };
  for (const c of components) {
    const file = files[c] as string;
    const width = tables.get(c)?.width ?? 0;
    out[c] = await variantFile(file, `.emb-${key}`, PATCH_VERSION, async (src, dst) => {
      const inits = await listFloatInitializers(src);
      const grown = `${dst}.grown.onnx`;
      await writePatchedModel(src, grown, `${path.basename(dst)}_data`, [TOKEN_TABLE], async (init) => {
        const table = new Float32Array(next * width);
        table.set(await readInitializer(init));
        let at = first;
        for (const e of list) {
          const v = e[c];
          if (v !== undefined) table.set(v.values, at * width);
          at += e.text_encoder.count;
        }
        // Rows between a smaller vocabulary and the shared first id stay zero; no token uses them.
        return { values: table, dims: [next, width] };
      }, inits);
      try {
        await guardPooling(grown, dst, first);
      } finally {
        await rm(grown, { force: true });
      }
    });
  }
  return { files: out, words };
}
