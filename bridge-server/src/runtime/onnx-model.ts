/**
 * One ONNX model file opened in onnxruntime-node. The runtime module (this file and
 * session-factory.ts) is the only one in the project that touches onnxruntime: everything else
 * deals in HostTensors and BridgeErrors.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { convertOutput, prepareFeeds } from './feed-conversion.js';
import { EXECUTION_PROVIDERS, providerUnavailable, type ExecutionProvider } from './providers.js';
import { createCached, createSession, sessionOptions } from './session-factory.js';
import type { FeedValue, HostTensorData, OutputTensor, TensorDType, TensorInfo } from './tensor-types.js';

export interface OpenOptions {
  provider?: ExecutionProvider;
  /** Intra-op threads; onnxruntime picks the core count when unset. */
  threads?: number;
  /** Names the model in error messages ("unet input ..."); defaults to the file's folder name. */
  label?: string;
  /**
   * A folder for onnxruntime's optimized graph of this model (optimized-cache.ts): opened instead
   * of the source when it matches, written by the session that optimizes the source otherwise.
   * CPU provider only (others keep provider-specific or compiled nodes a saved graph cannot hold).
   */
  optimizedCache?: string;
  /**
   * onnxruntime's memory pattern (default off). It plans one block for all of a run's tensors and
   * keeps it in the CPU arena between runs; planned blocks outgrow what the arena reuses without
   * it, so the UNet's arena held 0.035× the job's weights more after two steps, with no faster
   * steps (`npm run bench -- unet-job`). The arena itself stays: without it every large tensor is
   * a fresh mmap and a 512² VAE decode took 3.5× as long (12× the page faults).
   */
  memoryPattern?: boolean;
}

export interface RunStats {
  runs: number;
  totalMs: number;
}

function toInfo(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, dtype: m.type as TensorDType, dims: [...m.shape] }
      : { name: m.name, dtype: 'string' as TensorDType, dims: [] },
  );
}

/** Model files of this process's unreleased OnnxModels (with counts): an evicted one reopens from its file. */
const inUse = new Map<string, number>();

/** Whether an unreleased OnnxModel of this process may still open `file`, so it must not be deleted. */
export function modelFileInUse(file: string): boolean {
  return inUse.has(path.resolve(file));
}

export class OnnxModel {
  readonly path: string;
  readonly label: string;
  readonly provider: ExecutionProvider;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Wall time of each run(), conversions included; reset with resetStats(). */
  readonly stats: RunStats = { runs: 0, totalMs: 0 };
  /** The native session; undefined while evicted (reopened by the next run) or after release. */
  private session: Promise<ort.InferenceSession> | undefined;
  private released = false;
  private inflight = 0;
  /** Set by evict() or release() while runs are in flight: the last one to end closes the session. */
  private closing: { done: Promise<void>; resolve: () => void } | undefined;

  private constructor(
    file: string,
    label: string,
    provider: ExecutionProvider,
    session: ort.InferenceSession,
    /** Creates the native session again after evict(), with the options of the first open. */
    private readonly reopen: () => Promise<ort.InferenceSession>,
  ) {
    this.path = file;
    this.label = label;
    this.provider = provider;
    this.session = Promise.resolve(session);
    inUse.set(file, (inUse.get(file) ?? 0) + 1);
    this.inputs = toInfo(session.inputMetadata);
    this.outputs = toInfo(session.outputMetadata);
  }

  /**
   * Opens a model by file path. External weights (weights.pb, model.onnx_data, ...) are found by
   * onnxruntime relative to the model file's folder, whatever the working directory.
   */
  static async open(file: string, options: OpenOptions = {}): Promise<OnnxModel> {
    const provider = options.provider ?? 'cpu';
    if (!EXECUTION_PROVIDERS.includes(provider)) {
      throw invalidField('provider', `"${String(provider)}" is not one of ${EXECUTION_PROVIDERS.join(', ')}`);
    }
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads > 0)) {
      throw invalidField('threads', 'must be a positive integer');
    }
    const resolved = path.resolve(file);
    const label = options.label ?? path.basename(path.dirname(resolved));
    const info = await stat(resolved).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      throw new BridgeError('model_load_failed', `Model file ${resolved} does not exist`, resolved);
    }
    const available = ort.listSupportedBackends().map((b) => b.name);
    if (!available.includes(provider)) {
      throw providerUnavailable(provider, `this onnxruntime-node build has only ${available.join(', ')}`);
    }
    const ortOptions = sessionOptions(provider, options.threads, options.memoryPattern ?? false);
    const cache = options.optimizedCache;
    const create = () => (cache !== undefined && provider === 'cpu' ? createCached(resolved, cache, provider, ortOptions) : createSession(resolved, ortOptions, provider));
    return new OnnxModel(resolved, label, provider, await create(), create);
  }

  input(name: string): TensorInfo | undefined {
    return this.inputs.find((i) => i.name === name);
  }

  output(name: string): TensorInfo | undefined {
    return this.outputs.find((o) => o.name === name);
  }

  /** Whether the native session is open (or opening): false while evicted and after release. */
  get resident(): boolean {
    return this.session !== undefined;
  }

  /**
   * Runs the model. Feeds are checked against the declared inputs and converted to their types;
   * float16 outputs come back as float32. An evicted model is opened again first.
   */
  async run(feeds: Readonly<Record<string, FeedValue>>): Promise<Record<string, OutputTensor>> {
    if (this.released) throw new BridgeError('inference_failed', `${this.label}: the model was released`);
    const started = performance.now();
    const prepared = prepareFeeds(this.label, this.inputs, feeds);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(prepared)) {
      ortFeeds[name] = new ort.Tensor(feed.dtype, feed.data, feed.dims);
    }
    this.inflight += 1;
    let results: ort.InferenceSession.ReturnType;
    try {
      const session = await this.openSession();
      results = await session.run(ortFeeds);
    } catch (err) {
      if (err instanceof BridgeError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new BridgeError('inference_failed', `${this.label}: onnxruntime run failed: ${message}`);
    } finally {
      this.inflight -= 1;
      if (this.inflight === 0 && this.closing !== undefined) await this.dropSession();
    }
    const out: Record<string, OutputTensor> = {};
    for (const [name, tensor] of Object.entries(results)) {
      out[name] = convertOutput(tensor.type as TensorDType, tensor.data as HostTensorData, tensor.dims);
    }
    this.stats.runs += 1;
    this.stats.totalMs += performance.now() - started;
    return out;
  }

  /**
   * Closes the native session, giving back its weights and everything its memory arena holds
   * (onnxruntime's CPU arena never shrinks while a session lives), but keeps the model usable:
   * the next run(), or warm(), opens it again. Runs in flight, and runs started before they end,
   * finish first; the promise resolves once the session is closed.
   */
  async evict(): Promise<void> {
    if (this.released || this.session === undefined) return;
    await this.closeWhenIdle();
  }

  /**
   * Opens an evicted model again (a no-op when it is open) and cancels an eviction still waiting
   * for runs to end; a failed open is retried by the next call.
   */
  async warm(): Promise<void> {
    if (this.released) throw new BridgeError('inference_failed', `${this.label}: the model was released`);
    const closing = this.closing;
    this.closing = undefined;
    closing?.resolve();
    await this.openSession();
  }

  private openSession(): Promise<ort.InferenceSession> {
    if (this.released) return Promise.reject(new BridgeError('inference_failed', `${this.label}: the model was released`));
    if (this.session === undefined) {
      const opening = this.reopen();
      this.session = opening;
      opening.catch(() => {
        if (this.session === opening) this.session = undefined;
      });
    }
    return this.session;
  }

  resetStats(): void {
    this.stats.runs = 0;
    this.stats.totalMs = 0;
  }

  /** Closes the model for good (after a run in flight, if any); later runs fail with inference_failed. */
  async release(): Promise<void> {
    if (!this.released) {
      const left = (inUse.get(this.path) ?? 1) - 1;
      if (left > 0) inUse.set(this.path, left);
      else inUse.delete(this.path);
    }
    this.released = true;
    await this.closeWhenIdle();
  }

  private closeWhenIdle(): Promise<void> {
    if (this.inflight === 0) return this.dropSession();
    if (this.closing === undefined) {
      let resolve = () => {};
      const done = new Promise<void>((r) => (resolve = r));
      this.closing = { done, resolve };
    }
    return this.closing.done;
  }

  private async dropSession(): Promise<void> {
    const session = this.session;
    const closing = this.closing;
    this.session = undefined;
    this.closing = undefined;
    const open = await session?.catch(() => undefined);
    await open?.release().catch(() => undefined);
    closing?.resolve();
  }
}

/** Provider names this onnxruntime-node build was compiled with (CUDA may still fail to load). */
export function compiledProviders(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}
