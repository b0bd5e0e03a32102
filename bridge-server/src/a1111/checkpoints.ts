/**
 * The bridge's models as A1111 checkpoints (/sdapi/v1/sd-models, sd_model_checkpoint). A1111 titles
 * a checkpoint "name [shorthash]" once its SHA-256 is known and "name" before; a model here has a
 * hash when the catalog knows its source checkpoint's (ModelSummary.hash), otherwise it is listed
 * by name, as A1111 lists a checkpoint it has not hashed yet. Any of title, name, hash or file path
 * selects a model, as A1111's checkpoint_aliases do.
 */
import type { ModelSummary } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import path from 'node:path';
import type { BridgeCore } from '../server/bridge-core.js';
import type { CheckpointFile } from '../server/checkpoint-folder.js';

export interface Checkpoint {
  title: string;
  model_name: string;
  hash: string | null;
  sha256: string | null;
  filename: string;
  config: string | null;
}

/** Wave-2 summaries may carry the source checkpoint's A1111 short hash and full SHA-256. */
function hashesOf(summary: ModelSummary): { hash: string | null; sha256: string | null } {
  const extra = summary as ModelSummary & { hash?: unknown; sha256?: unknown };
  const hash = typeof extra.hash === 'string' && extra.hash !== '' ? extra.hash.slice(0, 10) : null;
  const sha256 = typeof extra.sha256 === 'string' && extra.sha256 !== '' ? extra.sha256 : null;
  return { hash, sha256 };
}

/** A listed checkpoint: an installed model, or a file in the checkpoints folder not imported yet. */
export type ListedCheckpoint = Checkpoint & ({ info: ModelInfo; file?: undefined } | { info?: undefined; file: CheckpointFile });

export async function listCheckpoints(core: BridgeCore): Promise<ListedCheckpoint[]> {
  const out: ListedCheckpoint[] = [];
  const sources = new Set<string>();
  for (const summary of await core.catalog.list()) {
    const info = await core.catalog.resolve(summary.name).catch(() => undefined);
    if (info === undefined) continue;
    const { hash, sha256 } = hashesOf(summary);
    const source = info.provenance?.source;
    if (source !== undefined) sources.add(path.resolve(source));
    out.push({
      title: hash === null ? summary.name : `${summary.name} [${hash}]`,
      model_name: summary.name,
      hash,
      sha256: sha256 ?? info.provenance?.sha256 ?? null,
      // A1111 shows the checkpoint file; a model imported from one names it.
      filename: source ?? info.dir,
      config: null,
      info,
    });
  }
  // Files in the checkpoints folder are A1111 checkpoints too: listed unhashed, as A1111 lists a
  // file it has not read yet, and imported when a request picks one.
  for (const file of (await core.checkpoints?.folder.files()) ?? []) {
    if (sources.has(file.path) || out.some((c) => c.model_name === file.modelName)) continue;
    out.push({ title: file.modelName, model_name: file.modelName, hash: null, sha256: null, filename: file.path, config: null, file });
  }
  return out;
}

/** The installed model a listed checkpoint stands for, importing a folder file first (A1111 loads it then too). */
export async function installedModel(core: BridgeCore, checkpoint: ListedCheckpoint): Promise<ModelInfo> {
  if (checkpoint.info !== undefined) return checkpoint.info;
  const imports = core.checkpoints?.imports;
  if (imports === undefined) throw new Error(`${checkpoint.filename}: this bridge has no checkpoints folder`);
  const result = await imports.forFirstUse(checkpoint.file);
  return core.catalog.resolve(result.name);
}

/** The checkpoint an alias names (title, name, "name.safetensors", hash, sha256, path), or undefined. */
export function findCheckpoint<T extends Checkpoint>(list: readonly T[], alias: string): T | undefined {
  const bare = alias.replace(/\.(safetensors|ckpt)$/i, '');
  return list.find((c) => c.title === alias || c.model_name === alias || c.model_name === bare || c.filename === alias || (c.hash !== null && c.hash === alias) || (c.sha256 !== null && c.sha256 === alias));
}

/** Python's repr of a str, for A1111's "model 'x' not found". */
export function pyRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
