import { toBridgeError } from '@latent-bridge/shared';
import type { Redis } from 'ioredis';
import type { A1111State } from '../a1111/state.js';
import type { BridgeCore } from '../server/bridge-core.js';
import type { BlobStore } from './redis.js';
import type { ClusterKeys, WireEvent, WireOutcome } from './wire.js';

export interface WorkerJobContext {
  workerId: string;
  redis: Redis;
  keys: ClusterKeys;
  /** Request images and results: at most a frame each. */
  blobs: BlobStore;
  /** A1111 request bodies and answers: several images in base64 each. */
  a1111Blobs: BlobStore;
  /** This worker's models, cache and folders: the same core a single-process bridge runs on. */
  core: BridgeCore;
  /** Advertises the worker's models again after an import, before the import's outcome goes out. */
  refreshModels(): Promise<void>;
  /** The shared.state of each A1111 job running here, for the front's /interrupt and /skip. */
  a1111States: Map<string, A1111State>;
}

/** How a job reports to its front while it runs. */
export type Publish = (event: WireEvent, payload?: Uint8Array) => void;

/** An error as an outcome, keeping its code and field. */
export function errorOutcome(err: unknown, worker: string): Extract<WireOutcome, { kind: 'error' }> {
  const e = toBridgeError(err);
  return { kind: 'error', code: e.code, message: e.message, ...(e.field !== undefined ? { field: e.field } : {}), worker };
}

