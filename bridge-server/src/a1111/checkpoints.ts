/**
 * The bridge's models as A1111 checkpoints (/sdapi/v1/sd-models, sd_model_checkpoint). A1111 titles
 * a checkpoint "name [shorthash]" once its SHA-256 is known and "name" before; a model here has a
 * hash when the catalog knows its source checkpoint's (ModelSummary.hash), otherwise it is listed
 * by name, as A1111 lists a checkpoint it has not hashed yet. Any of title, name, hash or file path
 * selects a model, as A1111's checkpoint_aliases do.
 */
import type { ModelSummary } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import type { BridgeCore } from '../server/bridge-core.js';

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

export async function listCheckpoints(core: BridgeCore): Promise<Array<Checkpoint & { info: ModelInfo }>> {
  const out: Array<Checkpoint & { info: ModelInfo }> = [];
  for (const summary of await core.catalog.list()) {
    const info = await core.catalog.resolve(summary.name).catch(() => undefined);
    if (info === undefined) continue;
    const { hash, sha256 } = hashesOf(summary);
    out.push({
      title: hash === null ? summary.name : `${summary.name} [${hash}]`,
      model_name: summary.name,
      hash,
      sha256,
      filename: info.dir,
      config: null,
      info,
    });
  }
  return out;
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
