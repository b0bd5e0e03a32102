import path from 'node:path';
import type { Limits } from '@latent-bridge/shared';
import { ModelStore } from '../models/index.js';
import type { ExecutionProvider } from '../runtime/index.js';
import type { Residency } from '../pipeline/loaded-model.js';
import { BridgeCore } from './bridge-core.js';
import { CheckpointFolder } from './checkpoint-folder.js';
import { CheckpointImports } from './checkpoint-imports.js';
import { ensureDemoModels, type DemoModel } from './demo-models.js';
import { EmbeddingFolder } from './embedding-folder.js';
import { LoraFolder } from './lora-folder.js';
import { ModelCache } from './model-cache.js';
import { ModelCatalog } from './model-catalog.js';
import { SERVER_VERSION } from './version.js';

/** Default memory budget for loaded models (file bytes): two SD 1.5 fp32 models. */
export const DEFAULT_MODEL_BUDGET_BYTES = 8 * 1024 ** 3;

/** Where a core that runs jobs on this machine finds its models and extra networks. */
export interface LocalCoreOptions {
  modelsDir?: string;
  checkpointsDir?: string;
  lorasDir?: string;
  embeddingsDir?: string;
  demo?: boolean | 'auto';
  provider?: ExecutionProvider;
  threads?: number;
  optimizedCacheDir?: string;
  modelBudgetBytes?: number;
  /** Which sessions stay open through a decode (LoadOptions.residency; default 'lean'). */
  residency?: Residency;
}

export interface LocalCore {
  core: BridgeCore;
  checkpointFolder: CheckpointFolder;
  imports: CheckpointImports;
  loraFolder: LoraFolder;
}

/**
 * A core that runs jobs here: models from the model folder (or the demo ones), the checkpoints,
 * LoRA and embeddings folders beside it. The single-process bridge and every queue worker build
 * theirs the same way, so a job gives the same bytes on either.
 */
export async function localCore(options: LocalCoreOptions, limits: Limits, configDir: string, log: (line: string) => void): Promise<LocalCore> {
  const store = new ModelStore(options.modelsDir);
  const stored = (await store.list()).filter((m) => m.info !== undefined);
  let demo: DemoModel[] = [];
  const demoMode = options.demo ?? 'auto';
  if (demoMode === true || (demoMode === 'auto' && stored.length === 0)) {
    if (stored.length === 0) {
      log(`No models in ${store.root}. Pull one with: latent-bridge models pull <huggingface-repo>. Offering the demo models meanwhile.`);
    }
    // Per server version: a newer build may generate the demo models differently.
    demo = await ensureDemoModels(path.join(configDir, 'demo-models', SERVER_VERSION));
  }
  const catalog = new ModelCatalog(store, demo);
  const cache = new ModelCache(options.modelBudgetBytes ?? DEFAULT_MODEL_BUDGET_BYTES, {
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.optimizedCacheDir !== undefined ? { optimizedCacheDir: options.optimizedCacheDir } : {}),
    ...(options.residency !== undefined ? { residency: options.residency } : {}),
  });
  const checkpointFolder = new CheckpointFolder(options.checkpointsDir ?? path.join(path.dirname(store.root), 'checkpoints'), store);
  const loraFolder = new LoraFolder(options.lorasDir ?? path.join(path.dirname(checkpointFolder.dir), 'loras'));
  const embeddingFolder = new EmbeddingFolder(options.embeddingsDir ?? path.join(path.dirname(checkpointFolder.dir), 'embeddings'), log);
  let core: BridgeCore | undefined;
  const imports = new CheckpointImports(store, (result) => {
    log(`imported ${result.name} (${result.family}) into ${result.dir}`);
    core?.modelsChanged();
  });
  core = new BridgeCore({ limits, catalog, cache, checkpoints: { folder: checkpointFolder, imports }, loras: loraFolder, embeddings: embeddingFolder });
  return { core, checkpointFolder, imports, loraFolder };
}
