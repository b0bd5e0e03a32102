import { BridgeError, type CheckpointSummary, type LoraSummary, type ModelSummary } from '@latent-bridge/shared';
import type { Redis } from 'ioredis';
import type { ModelInfo } from '../models/index.js';
import { summarize } from '../server/model-catalog.js';
import type { ModelSource } from '../server/bridge-core.js';
import type { ClusterKeys } from './wire.js';

/** What a worker says about itself, refreshed every heartbeat; gone when it stops beating. */
export interface WorkerAdvert {
  id: string;
  host: string;
  pid: number;
  state: 'idle' | 'busy' | 'stopping';
  /** The BullMQ job it runs now. */
  job?: string;
  jobsDone: number;
  startedAt: number;
  models: ModelInfo[];
  /** Files in its checkpoints folder: what it can import (absent from workers older than imports through a front). */
  checkpoints?: AdvertisedCheckpoint[];
  /** Files in its LoRA folder: what its generates can name (absent from workers older than LoRAs through a front). */
  loras?: AdvertisedLora[];
}

/** A LoRA file a worker holds, as clients see it, plus where it is and what it weighs. */
export interface AdvertisedLora extends LoraSummary {
  path: string;
  bytes: number;
  /** A1111's short hash, when the worker has computed it (it never hashes a file just to advertise it). */
  shortHash?: string;
}

/** A checkpoint file a worker holds, as clients see it, plus what a front routes and lists by. */
export interface AdvertisedCheckpoint extends CheckpointSummary {
  /** Where it is on the worker's machine (A1111's `filename`). */
  path: string;
  /** The model name an import installs it under by default (a generate naming it imports it). */
  modelName: string;
  /** Its SHA-256, when the worker has it cached (it never reads a file just to advertise it). */
  sha256?: string;
}

/** Workers alive: one expiring key each, so a killed worker drops out within its TTL. */
export class WorkerRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
  ) {}

  async advertise(advert: WorkerAdvert, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.worker(advert.id), JSON.stringify(advert), 'PX', ttlMs);
  }

  async withdraw(id: string): Promise<void> {
    await this.redis.del(this.keys.worker(id));
  }

  async list(): Promise<WorkerAdvert[]> {
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', this.keys.workerPattern, 'COUNT', 200);
      cursor = next;
      names.push(...batch);
    } while (cursor !== '0');
    if (names.length === 0) return [];
    const values = await this.redis.mget(...names);
    const adverts: WorkerAdvert[] = [];
    for (const value of values) {
      const advert = value === null ? undefined : parseAdvert(value);
      if (advert !== undefined) adverts.push(advert);
    }
    return adverts.sort((a, b) => a.id.localeCompare(b.id));
  }
}

function parseAdvert(text: string): WorkerAdvert | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const advert = value as Partial<WorkerAdvert>;
    return typeof advert.id === 'string' && Array.isArray(advert.models) ? (advert as WorkerAdvert) : undefined;
  } catch {
    return undefined;
  }
}

/** How long a front reuses what the registry said. */
const CATALOG_TTL_MS = 1000;

/**
 * A front's models: the union of what live workers advertise (first worker wins on a name).
 * A front checks jobs against these before queueing them, as a single bridge does against its own.
 */
export class RemoteCatalog implements ModelSource {
  private cached: { at: number; infos: Map<string, ModelInfo>; checkpoints: Map<string, AdvertisedCheckpoint>; live: WorkerAdvert[] } | undefined;

  constructor(private readonly registry: WorkerRegistry) {}

  invalidate(): void {
    this.cached = undefined;
  }

  async list(): Promise<ModelSummary[]> {
    return [...(await this.snapshot()).values()].map(summarize);
  }

  async resolve(name: string): Promise<ModelInfo> {
    let info = (await this.snapshot()).get(name);
    if (info === undefined) {
      // A worker that just started may not be in the cached listing yet.
      this.invalidate();
      info = (await this.snapshot()).get(name);
    }
    if (info === undefined) {
      throw new BridgeError('model_not_found', `model: no live worker on this queue has a model or checkpoint "${name}"; ask list-models for the names.`, 'model');
    }
    return info;
  }

  /**
   * The checkpoint files live workers hold, by file name (first worker wins). `imported` is set
   * when any worker holds a model made from the file: imported once, it is listed as a model.
   */
  async checkpoints(): Promise<Map<string, AdvertisedCheckpoint>> {
    await this.snapshot();
    return this.cached?.checkpoints ?? new Map();
  }

  /** The live workers (not stopping) as last listed: what LoRA names are checked and routed by. */
  async workers(): Promise<WorkerAdvert[]> {
    await this.snapshot();
    return this.cached?.live ?? [];
  }

  private async snapshot(): Promise<Map<string, ModelInfo>> {
    const now = Date.now();
    if (this.cached !== undefined && now - this.cached.at < CATALOG_TTL_MS) return this.cached.infos;
    const infos = new Map<string, ModelInfo>();
    const checkpoints = new Map<string, AdvertisedCheckpoint>();
    const live: WorkerAdvert[] = [];
    for (const advert of await this.registry.list()) {
      if (advert.state === 'stopping') continue;
      live.push(advert);
      for (const info of advert.models) if (!infos.has(info.name)) infos.set(info.name, info);
      for (const c of advert.checkpoints ?? []) {
        const known = checkpoints.get(c.name);
        if (known === undefined) checkpoints.set(c.name, c);
        else if (known.imported === undefined && c.imported !== undefined) checkpoints.set(c.name, { ...known, imported: c.imported });
      }
    }
    this.cached = { at: now, infos, checkpoints, live };
    return infos;
  }
}
