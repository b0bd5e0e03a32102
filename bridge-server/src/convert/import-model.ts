/**
 * `latent-bridge import`: a checkpoint file or diffusers folder in, an ONNX model folder in optimum's
 * layout out. The folder is written into a staging folder beside its destination and renamed into
 * place only when complete and readable, so a crash, Ctrl-C or a full disk never leaves half a
 * model in the store. Re-importing an unchanged file with the same settings finds the model it made
 * before (by the file's SHA-256) and writes nothing.
 */
import { cp, stat } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError, toBridgeError } from '@latent-bridge/shared';
import { schedulerConfig as familyScheduler, type JobDefaults, type ModelFamily, type ModelVariant, type PredictionType } from '../models/families.js';
import { fewStepDefaults } from '../models/folder-facts.js';
import { inspectModel } from '../models/inspect-model.js';
import { PROVENANCE_FILE, type ModelProvenance } from '../models/model-layout.js';
import { checkModelName, type ModelStore } from '../models/model-store.js';
import { SERVER_VERSION } from '../server/version.js';
import { modelIndex, writeJson, writeTokenizer } from './folder-files.js';
import { HashCache, type FileHash } from './hash-cache.js';
import { planModel, type ModelPlan, type PlanInputs } from './import-plan.js';
import { openDiffusersFolder, openSingleFile, type OpenedSources } from './import-sources.js';
import { requireFreeSpace, StagingFolder, sweepStaleStaging } from './staging.js';

export interface ImportProgress {
  /** Weights converted and written (the file's sha256 is computed alongside, not reported apart). */
  phase: 'write';
  /** The component being written. */
  component?: string;
  /** Bytes of weights written over all components. */
  done: number;
  total: number;
}

export interface ImportOptions {
  /** A .safetensors/.ckpt/.pt file, or a diffusers folder (model_index.json). */
  source: string;
  store: ModelStore;
  /** The destination folder; default: the store's root / name. */
  out?: string;
  name?: string;
  dtype?: 'fp32' | 'fp16';
  prediction?: PredictionType;
  config?: string;
  vae?: string;
  vaeFp16Safe?: boolean;
  ema?: boolean;
  /** diffusers `variant` weight files to prefer (e.g. "fp16"). */
  variant?: string;
  /** Replace a model already at the destination. */
  replace?: boolean;
  /** Job defaults recorded with the model (a Turbo model's steps and guidance). */
  defaults?: Partial<JobDefaults>;
  /** Rewrites the weights before the graphs are built (LoRA baking). */
  transformInputs?: (inputs: PlanInputs) => PlanInputs | Promise<PlanInputs>;
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  hashCache?: HashCache;
}

export interface ImportResult {
  name: string;
  dir: string;
  family: ModelFamily;
  variant: ModelVariant;
  prediction: PredictionType;
  hash: FileHash | undefined;
  /** An earlier import of the same file and settings was found; nothing was written. */
  reused: boolean;
  warnings: string[];
  bytesWritten: number;
}

/** A folder name from a file name: "Juggernaut XL v9 (fp16).safetensors" -> "Juggernaut-XL-v9-fp16". */
export function modelNameFor(source: string): string {
  const stem = path.basename(source).replace(/\.(safetensors|ckpt|pt|pth|bin)$/i, '');
  const cleaned = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+/g, '-').replace(/^[^A-Za-z0-9]+|[-.]+$/g, '').slice(0, 120);
  return cleaned === '' ? 'imported-model' : cleaned;
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() === true;
}

/** A model in the store imported from the same bytes with the same settings, if any. */
async function findEarlierImport(store: ModelStore, sha256: string, dtype: 'fp32' | 'fp16', prediction: PredictionType | undefined): Promise<string | undefined> {
  for (const entry of await store.list()) {
    const p = entry.info?.provenance;
    if (entry.info === undefined || p?.sha256 !== sha256 || p.dtype !== dtype) continue;
    if (prediction !== undefined && entry.info.prediction !== prediction) continue;
    return entry.name;
  }
  return undefined;
}

function schedulerFor(plan: ModelPlan, opened: OpenedSources, title: string): Record<string, unknown> {
  const original = opened.inputs.original?.betas;
  const config = opened.schedulerConfig ?? { ...familyScheduler(plan.family, plan.prediction, original) };
  // Few-step distillations (Turbo, Lightning, LCM) are sampled from t = 999: trailing spacing, as their cards ask.
  if (opened.schedulerConfig === undefined && fewStepDefaults(title, undefined) !== undefined) config['timestep_spacing'] = 'trailing';
  return config;
}

async function writePlan(plan: ModelPlan, dir: string, o: ImportOptions, sourceName: string): Promise<number> {
  const total = plan.components.reduce((n, c) => n + c.graph.weightBytes(), 0);
  let before = 0;
  for (const component of plan.components) {
    const folder = path.join(dir, component.name);
    await component.graph.write(folder, 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 }, {
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      metadata: { source: sourceName, converter: `latent-bridge ${SERVER_VERSION}` },
      onProgress: (done) => o.onProgress?.({ phase: 'write', component: component.name, done: before + done, total }),
    });
    await writeJson(path.join(folder, 'config.json'), component.config);
    before += component.graph.weightBytes();
  }
  return total;
}

/** The model an earlier import of the same file and settings installed, as this import's result. */
async function earlierImport(store: ModelStore, hash: FileHash, dtype: 'fp32' | 'fp16', prediction: PredictionType | undefined): Promise<ImportResult | undefined> {
  const earlier = await findEarlierImport(store, hash.sha256, dtype, prediction);
  if (earlier === undefined) return undefined;
  const info = await inspectModel(path.join(store.root, earlier));
  return { name: earlier, dir: info.dir, family: info.family, variant: info.variant, prediction: info.prediction, hash, reused: true, warnings: [], bytesWritten: 0 };
}

export async function importModel(o: ImportOptions): Promise<ImportResult> {
  const source = path.resolve(o.source);
  const dtype = o.dtype ?? 'fp32';
  const folderSource = await isDirectory(source);
  const name = checkModelName(o.name ?? modelNameFor(source), 'name');
  const destination = path.resolve(o.out ?? path.join(o.store.root, name));
  const parent = path.dirname(destination);

  // An unchanged file (hash cached by path, size and mtime) is looked up before anything is
  // converted. Otherwise the sha256 is computed alongside the conversion (it is a plain read and
  // the conversion waits on the disk), and an earlier import of the same bytes found at the end
  // still wins over the new copy. A bake (LoRAs merged in) is another model than the plain import
  // of the same file, and is never reused.
  const mayReuse = o.replace !== true && o.out === undefined && o.transformInputs === undefined;
  let hash: FileHash | undefined;
  let hashing: Promise<FileHash> | undefined;
  // A failed import stops hashing the source and waits for it, so nothing writes into the store
  // (the hash cache) after the failure is reported.
  const stopHashing = new AbortController();
  const settleHashing = async (): Promise<void> => {
    if (hashing === undefined) return;
    stopHashing.abort();
    await hashing.catch(() => undefined);
  };
  if (!folderSource) {
    const cache = o.hashCache ?? new HashCache(path.join(o.store.root, '.hash-cache.json'));
    hash = await cache.cached(source);
    if (hash === undefined) {
      hashing = cache.hash(source, { signal: o.signal !== undefined ? AbortSignal.any([o.signal, stopHashing.signal]) : stopHashing.signal });
      hashing.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    } else if (mayReuse) {
      const reused = await earlierImport(o.store, hash, dtype, o.prediction);
      if (reused !== undefined) return reused;
    }
  }
  if (o.replace !== true && (await stat(destination).catch(() => undefined)) !== undefined) {
    // The name is taken: by an earlier import of these very bytes, the import is already done.
    if (hashing !== undefined && mayReuse) {
      hash = await hashing;
      hashing = undefined;
      const reused = await earlierImport(o.store, hash, dtype, o.prediction);
      if (reused !== undefined) return reused;
    }
    await settleHashing();
    throw new BridgeError('invalid_field', `${destination} already exists; choose another --name or pass --replace`, 'name');
  }

  const floatType = dtype === 'fp16' ? 'float16' : 'float32';
  const sourceOptions = {
    floatType,
    ...(o.prediction !== undefined ? { prediction: o.prediction } : {}),
    ...(o.config !== undefined ? { config: o.config } : {}),
    ...(o.vae !== undefined ? { vae: o.vae } : {}),
    ...(o.vaeFp16Safe !== undefined ? { vaeFp16Safe: o.vaeFp16Safe } : {}),
    ...(o.ema !== undefined ? { ema: o.ema } : {}),
  } as const;
  const opened = await (folderSource
    ? openDiffusersFolder(source, { ...sourceOptions, ...(o.variant !== undefined ? { variant: o.variant } : {}) })
    : openSingleFile(source, sourceOptions)
  ).catch(async (err: unknown) => {
    await settleHashing();
    throw err;
  });
  let staging: StagingFolder | undefined;
  try {
    const inputs = o.transformInputs ? await o.transformInputs(opened.inputs) : opened.inputs;
    const plan = planModel(inputs);
    const title = path.basename(source).replace(/\.(safetensors|ckpt|pt|pth|bin)$/i, '');
    await requireFreeSpace(await existingAncestor(parent), plan.components.reduce((n, c) => n + c.graph.weightBytes(), 0));
    await sweepStaleStaging(parent);
    staging = await StagingFolder.create(parent, name);
    const bytesWritten = await writePlan(plan, staging.dir, o, path.basename(source));

    const scheduler = schedulerFor(plan, opened, title);
    await writeJson(path.join(staging.dir, 'model_index.json'), modelIndex({ family: plan.family, variant: plan.variant, schedulerClass: String(scheduler['_class_name']) }));
    await writeJson(path.join(staging.dir, 'scheduler', 'scheduler_config.json'), scheduler);
    const tokenizerFolders = ['tokenizer', 'tokenizer_2'];
    for (const [i, layout] of plan.tokenizers.entries()) {
      const target = path.join(staging.dir, tokenizerFolders[i] as string);
      const shipped = opened.tokenizerDirs[i];
      if (shipped !== undefined) await cp(shipped, target, { recursive: true });
      else await writeTokenizer(target, layout);
    }
    if (hashing !== undefined) {
      hash = await hashing;
      if (mayReuse) {
        const reused = await earlierImport(o.store, hash, dtype, o.prediction);
        if (reused !== undefined) return reused; // the staged copy is discarded below
      }
    }
    const provenance: ModelProvenance = {
      source,
      sha256: hash?.sha256,
      shortHash: hash?.shortHash,
      title,
      importedAt: new Date().toISOString(),
      importer: `latent-bridge ${SERVER_VERSION}`,
      dtype,
      defaults: o.defaults,
    };
    // Written last: its presence means every other file is complete.
    await writeJson(path.join(staging.dir, PROVENANCE_FILE), { ...provenance, family: plan.family, variant: plan.variant, prediction: plan.prediction, warnings: [...opened.notes, ...plan.warnings] });
    await inspectModel(staging.dir);
    o.signal?.throwIfAborted();
    await staging.commit(destination, o.replace === true);
    staging = undefined;
    return {
      name: path.basename(destination),
      dir: destination,
      family: plan.family,
      variant: plan.variant,
      prediction: plan.prediction,
      hash,
      reused: false,
      warnings: [...opened.notes, ...plan.warnings],
      bytesWritten,
    };
  } catch (err) {
    throw importError(err, o.signal);
  } finally {
    await staging?.discard();
    await opened.close();
    await settleHashing();
  }
}

async function existingAncestor(dir: string): Promise<string> {
  for (let d = dir; ; d = path.dirname(d)) {
    if (await isDirectory(d)) return d;
    if (path.dirname(d) === d) return d;
  }
}

/** Disk-full and abort reasons in words; errors that already carry a code pass through. */
function importError(err: unknown, signal: AbortSignal | undefined): BridgeError {
  if (signal?.aborted === true) return new BridgeError('cancelled', 'The import was cancelled; nothing was added to the model store.');
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return new BridgeError('import_failed', 'The disk filled up during the import; nothing was added to the model store.', 'out');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new BridgeError('import_failed', `Cannot write the model: ${(err as Error).message}`, 'out');
  }
  return toBridgeError(err);
}
