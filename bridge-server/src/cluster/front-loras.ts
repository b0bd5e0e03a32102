import { BridgeError, type LoraSummary } from '@latent-bridge/shared';
import type { Redis } from 'ioredis';
import type { JobLoras } from '../server/job-loras.js';
import type { LoraFileEntry, LoraSource } from '../server/lora-folder.js';
import type { JobSpec } from '../server/job-types.js';
import type { AdvertisedLora, RemoteCatalog, WorkerAdvert } from './registry.js';
import type { ClusterKeys, WireLoras } from './wire.js';

/** How long a LoRA-set queue stays known to workers after a front last used it. */
const LORA_SET_TTL_MS = 86_400_000;

/**
 * A front's LoRA folder: the files its live workers advertise (first worker wins on a name).
 * Generates are checked against it before they are queued, with a single bridge's errors; the
 * worker that runs the job finds the files in its own folder and merges them.
 */
export class RemoteLoras implements LoraSource {
  constructor(private readonly catalog: RemoteCatalog) {}

  async files(): Promise<LoraFileEntry[]> {
    const byName = new Map<string, LoraFileEntry>();
    for (const w of await this.catalog.workers()) {
      for (const l of w.loras ?? []) {
        if (!byName.has(l.name)) byName.set(l.name, { name: l.name, path: l.path, family: l.family, alias: l.alias, bytes: l.bytes, problem: undefined });
      }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async list(): Promise<LoraSummary[]> {
    return (await this.files()).map((e) => ({ name: e.name, ...(e.family !== undefined ? { family: e.family } : {}), ...(e.alias !== undefined ? { alias: e.alias } : {}) }));
  }

  async find(name: string, field: string): Promise<LoraFileEntry> {
    let found = await this.lookup(name);
    if (found === undefined) {
      // A worker that just started (or a file just copied in) may not be in the cached listing yet.
      this.catalog.invalidate();
      found = await this.lookup(name);
    }
    if (found === undefined) throw new BridgeError('model_not_found', `${field}: no LoRA "${name}" in the LoRA folder of any live worker on this queue; the models message lists them.`, field);
    return found;
  }

  /** The front never merges LoRAs (its workers do), so it never needs a hash it was not told. */
  async shortHash(entry: LoraFileEntry): Promise<string> {
    for (const w of await this.catalog.workers()) {
      const hash = w.loras?.find((l) => l.path === entry.path)?.shortHash;
      if (hash !== undefined) return hash;
    }
    throw new BridgeError('internal', `${entry.name}: a queue front does not hash LoRA files itself.`);
  }

  private async lookup(name: string): Promise<LoraFileEntry | undefined> {
    const files = await this.files();
    return files.find((e) => e.name === name) ?? files.find((e) => e.alias === name);
  }
}

/** Whether the worker would find `name` in its folder (by file stem or alias, as LoraFolder.find). */
function holds(loras: AdvertisedLora[] | undefined, name: string): boolean {
  return (loras ?? []).some((l) => l.name === name || l.alias === name);
}

/** What a wire job carries of a generate's LoRAs: the names and prompts as the client wrote them. */
export function wireLoras(loras: JobLoras): WireLoras {
  return { requested: loras.requested, prompt: loras.original.prompt, negative: loras.original.negative };
}

/**
 * The queue a generate goes on. Without LoRAs, or when every live worker with its model holds all
 * of them, its model's queue (the usual set-up: the same folders everywhere). Otherwise a queue
 * for the model and that set of names, made known to workers through Redis: only those holding
 * the model and every LoRA serve it, so the job never reaches one that would have to refuse it.
 */
export async function generateQueue(catalog: RemoteCatalog, keys: ClusterKeys, redis: Redis, spec: Pick<JobSpec, 'model' | 'loras'>): Promise<string> {
  const model = spec.model.name;
  const loras = spec.loras?.loras ?? [];
  if (loras.length === 0) return keys.queueName(model);
  const able = (workers: WorkerAdvert[]): { holders: WorkerAdvert[]; able: WorkerAdvert[] } => {
    const holders = workers.filter((w) => w.models.some((m) => m.name === model));
    return { holders, able: holders.filter((w) => loras.every((l) => holds(w.loras, l.asked))) };
  };
  let found = able(await catalog.workers());
  if (found.able.length === 0) {
    catalog.invalidate();
    found = able(await catalog.workers());
  }
  if (found.able.length === 0) {
    const missing = loras.find((l) => !found.holders.some((w) => holds(w.loras, l.asked)));
    if (missing !== undefined) {
      throw new BridgeError('model_not_found', `${missing.field}: no live worker that has the model "${model}" has the LoRA "${missing.asked}" (another worker has it); put it in the LoRA folder of a worker with the model.`, missing.field);
    }
    const first = loras[0];
    const names = [...new Set(loras.map((l) => l.asked))].join(', ');
    throw new BridgeError('model_not_found', `${first?.field ?? 'loras'}: no single live worker on this queue has the model "${model}" and all of the LoRAs ${names}; each is on some worker, but not together.`, first?.field ?? 'loras');
  }
  if (found.able.length === found.holders.length) return keys.queueName(model);
  const names = [...new Set(loras.map((l) => l.asked))].sort();
  const queue = keys.loraSetQueue(model, names);
  await redis.multi().hset(keys.loraSets, queue, JSON.stringify({ model, loras: names })).pexpire(keys.loraSets, LORA_SET_TTL_MS).publish(keys.loraSetsChannel, queue).exec();
  return queue;
}
