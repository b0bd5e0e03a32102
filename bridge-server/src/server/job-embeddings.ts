/**
 * Embeddings in a job, as A1111 has them: every embedding in the folder that fits the model is
 * available by its trigger word in the prompt and negative prompt; the model runs with its text
 * encoders' token tables grown by them (a copy kept per set, so later jobs find it), and the
 * images' parameters name the embeddings the prompts used (`TI hashes`).
 */
import { applyEmbeddings } from '../embeddings/embedding-set.js';
import type { ModelInfo } from '../models/index.js';
import type { EmbeddingFolder } from './embedding-folder.js';

function mentions(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w-])${escaped}($|[^\\w-])`, 'i').test(text);
}

/** The model with the folder's embeddings added, and the `TI hashes` field for these prompts (when any is used). */
export async function applyJobEmbeddings(info: ModelInfo, folder: EmbeddingFolder, prompts: readonly string[]): Promise<{ info: ModelInfo; fields: Record<string, string> }> {
  const available = await folder.embeddings();
  if (available.length === 0) return { info, fields: {} };
  const applied = await applyEmbeddings(
    { text_encoder: info.components.textEncoder, text_encoder_2: info.components.textEncoder2 },
    available.map((a) => a.embedding),
    { skipIncompatible: true },
  );
  if (applied.words.length === 0) return { info, fields: {} };
  const learned = new Set(applied.words.map((w) => w.text));
  const used: string[] = [];
  for (const { file, embedding } of available) {
    if (!learned.has(embedding.name) || !prompts.some((p) => mentions(p, embedding.name))) continue;
    used.push(`${embedding.name}: ${await folder.shortHash(file)}`);
  }
  const components = { ...info.components, textEncoder: applied.files.text_encoder, textEncoder2: applied.files.text_encoder_2 };
  return { info: { ...info, components, addedWords: applied.words }, fields: used.length > 0 ? { 'TI hashes': used.join(', ') } : {} };
}
