import { BridgeError, type ModelSummary } from '@latent-bridge/shared';
import { inspectModel, type ModelInfo, type ModelStore } from '../models/index.js';
import type { DemoModel } from './demo-models.js';

/** How long a model listing is reused: scanning reads every model's ONNX headers. */
const LIST_TTL_MS = 5000;

/**
 * The models a client may name: those in the model folder, then the demo models. Names from the
 * protocol only ever select among these; ModelStore refuses anything that is not a plain folder
 * name inside its root, so no protocol field can point the server at another path.
 */
export class ModelCatalog {
  private cached: { at: number; summaries: ModelSummary[]; infos: Map<string, ModelInfo> } | undefined;
  private readonly demoInfos = new Map<string, Promise<ModelInfo>>();

  constructor(
    private readonly store: ModelStore | undefined,
    private readonly demo: readonly DemoModel[] = [],
  ) {}

  /** Forget the listing: a model was just installed. */
  invalidate(): void {
    this.cached = undefined;
  }

  async list(): Promise<ModelSummary[]> {
    return (await this.snapshot()).summaries;
  }

  /** The model a generate names; model_not_found (field `model`) when there is none. */
  async resolve(name: string): Promise<ModelInfo> {
    const snapshot = await this.snapshot();
    const known = snapshot.infos.get(name);
    if (known !== undefined) return known;
    if (this.store !== undefined && !this.demo.some((d) => d.name === name)) {
      // A model added since the last listing; ModelStore checks the name is a plain folder name.
      try {
        const info = await this.store.resolve(name);
        this.cached = undefined;
        return info;
      } catch (err) {
        if (err instanceof BridgeError && err.code !== 'model_not_found' && err.code !== 'invalid_field') throw err;
      }
    }
    throw new BridgeError('model_not_found', `No model "${name}" on this server; ask list-models for the names.`, 'model');
  }

  private async snapshot(): Promise<NonNullable<ModelCatalog['cached']>> {
    const now = Date.now();
    if (this.cached !== undefined && now - this.cached.at < LIST_TTL_MS) return this.cached;
    const infos = new Map<string, ModelInfo>();
    const stored = this.store === undefined ? [] : await this.store.list();
    for (const entry of stored) if (entry.info !== undefined) infos.set(entry.name, entry.info);
    for (const d of this.demo) {
      if (infos.has(d.name)) continue;
      const info = await this.demoInfo(d).catch(() => undefined);
      if (info !== undefined) infos.set(d.name, info);
    }
    const summaries = [...infos.values()].map(summarize);
    this.cached = { at: now, summaries, infos };
    return this.cached;
  }

  private demoInfo(d: DemoModel): Promise<ModelInfo> {
    let info = this.demoInfos.get(d.name);
    if (info === undefined) {
      info = inspectModel(d.dir).then((i) => ({ ...i, name: d.name }));
      this.demoInfos.set(d.name, info);
      info.catch(() => this.demoInfos.delete(d.name));
    }
    return info;
  }
}

export function summarize(info: ModelInfo): ModelSummary {
  const shortHash = info.provenance?.shortHash;
  return {
    name: info.name,
    nativeSize: info.nativeSize,
    inpainting: info.inpainting,
    img2img: info.hasVaeEncoder,
    sizeMultiple: info.sizeMultiple,
    family: info.family,
    prediction: info.prediction,
    defaults: { ...info.defaults },
    sizes: info.sizes.slice(0, 64).map((s) => ({ width: s.width, height: s.height })),
    ...(shortHash !== undefined && /^[0-9a-f]{10}$/.test(shortHash) ? { hash: shortHash } : {}),
  };
}
