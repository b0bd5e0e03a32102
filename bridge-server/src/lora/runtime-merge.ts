/**
 * LoRA sets applied to an installed model at run time: for each component a LoRA changes (UNet,
 * text encoders), a copy of its model.onnx whose changed weights point into a small data file of
 * merged values, written beside the original and kept: the same set (same files, same sizes and
 * times, same strengths) finds its copy and costs nothing; a new set costs one pass over the
 * changed weights. Old copies beyond the newest few are removed.
 */
import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { listFloatInitializers, readInitializer, writePatchedModel, type StoredInitializer } from '../onnx-rewrite/initializer-patch.js';
import { variantFile } from '../onnx-rewrite/variant-file.js';
import { modelFileInUse } from '../runtime/index.js';
import { mergeLoraDeltas } from './lora-delta.js';
import type { LoraComponent } from './lora-names.js';
import { closeLoras, openLoras, planLoras, type ComponentChanges, type LoraUse } from './lora-set.js';
import type { ModelCatalog, WeightCatalog } from './lora-targets.js';

/** Bumped when the merged files' content would change for the same inputs. */
const MERGE_VERSION = 1;
/** Merged copies kept per component folder (each is the size of the weights a set changes). */
export const KEPT_COPIES = 4;

export type ComponentFiles = Partial<Record<LoraComponent, string>>;

export interface MergedModel {
  /** The model.onnx to open per component: a merged copy, or the original where nothing changed. */
  files: ComponentFiles;
  /** Names the set (the cache key). */
  key: string;
  warnings: string[];
}

/** A component's initializers in torch shapes: 2-D weights are stored transposed (MatMul's right operand). */
function catalogOf(inits: ReadonlyMap<string, StoredInitializer>): WeightCatalog {
  return {
    shape: (name) => {
      const init = inits.get(name);
      if (init === undefined) return undefined;
      return init.dims.length === 2 ? [init.dims[1] ?? 0, init.dims[0] ?? 0] : init.dims;
    },
    names: () => [...inits.keys()],
  };
}

/** The cache key of a set: each file's path, size and time, and its strength. */
export async function loraSetKey(uses: readonly LoraUse[]): Promise<string> {
  const parts: unknown[] = [MERGE_VERSION];
  for (const u of uses) {
    const s = await stat(u.file);
    parts.push([path.resolve(u.file), s.size, s.mtimeMs, u.weight, u.componentWeights ?? null]);
  }
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

async function mergeComponent(file: string, key: string, changes: ComponentChanges, inits: ReadonlyMap<string, StoredInitializer>): Promise<string> {
  const made = await variantFile(file, `.lora-${key}`, MERGE_VERSION, async (src, dst) => {
    const names = [...changes.keys()];
    await writePatchedModel(src, dst, `${path.basename(dst)}_data`, names, async (init) => {
      const change = changes.get(init.name);
      const values = await readInitializer(init);
      return change === undefined ? values : mergeLoraDeltas(values, change.shape[0] ?? 1, init.dims.length === 2 ? 'transposed' : 'rows', change.modules);
    }, inits);
  });
  await pruneCopies(file, made);
  return made;
}

/**
 * Removes all but the newest KEPT_COPIES merged copies of `file`; never `keep`, nor a copy a loaded
 * model of this process may reopen (sessions evicted around a decode reopen from their file).
 */
async function pruneCopies(file: string, keep: string): Promise<void> {
  const dir = path.dirname(file);
  const stem = path.basename(file, '.onnx');
  const copies: Array<[string, number]> = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(`${stem}.lora-`) || !name.endsWith('.onnx')) continue;
    const full = path.join(dir, name);
    copies.push([full, full === keep ? Infinity : (await stat(full).catch(() => undefined))?.mtimeMs ?? 0]);
  }
  copies.sort((a, b) => b[1] - a[1]);
  for (const [old] of copies.slice(KEPT_COPIES)) {
    if (modelFileInUse(old)) continue;
    for (const f of [old, `${old}_data`, `${old}.json`]) await rm(f, { force: true });
  }
}

/** Sets merged in this process, by set and model files: a re-used set is found without opening anything. */
const recent = new Map<string, MergedModel>();
const RECENT_SETS = 16;

async function stillThere(merged: MergedModel): Promise<boolean> {
  for (const file of Object.values(merged.files)) if ((await stat(file).catch(() => undefined)) === undefined) return false;
  return true;
}

/** Applies `uses` to the components in `files` (their model.onnx paths); see the module comment. */
export async function mergeLoraSet(files: ComponentFiles, uses: readonly LoraUse[]): Promise<MergedModel> {
  const key = await loraSetKey(uses);
  const stamps: unknown[] = [key];
  for (const file of Object.values(files)) {
    const s = await stat(file);
    stamps.push(file, s.size, s.mtimeMs);
  }
  const memo = JSON.stringify(stamps);
  const known = recent.get(memo);
  if (known !== undefined && (await stillThere(known))) return known;
  const merged = await mergeUncached(files, uses, key);
  recent.delete(memo);
  recent.set(memo, merged);
  for (const old of [...recent.keys()].slice(0, Math.max(0, recent.size - RECENT_SETS))) recent.delete(old);
  return merged;
}

async function mergeUncached(files: ComponentFiles, uses: readonly LoraUse[], key: string): Promise<MergedModel> {
  const opened = await openLoras(uses);
  try {
    const inits = new Map<LoraComponent, Map<string, StoredInitializer>>();
    const catalog: ModelCatalog = {};
    for (const [component, file] of Object.entries(files) as Array<[LoraComponent, string]>) {
      const found = await listFloatInitializers(file);
      inits.set(component, found);
      catalog[component] = catalogOf(found);
    }
    const { plan, warnings } = planLoras(opened, catalog);
    const merged: ComponentFiles = { ...files };
    for (const [component, changes] of plan) {
      const file = files[component];
      const found = inits.get(component);
      if (file === undefined || found === undefined || changes.size === 0) continue;
      merged[component] = await mergeComponent(file, key, changes, found);
    }
    return { files: merged, key, warnings };
  } finally {
    await closeLoras(opened);
  }
}
