/**
 * Creating onnxruntime sessions: the options every session gets, errors sorted into the catalogue,
 * and the optimized-model cache. Part of the runtime module, the only one that touches onnxruntime.
 */
import path from 'node:path';
import ort from 'onnxruntime-node';
import { BridgeError } from '@latent-bridge/shared';
import { CACHE_DATA, CACHE_MODEL, cacheKey, cacheMatches, commitCache, dropCache, prepareCache } from './optimized-cache.js';
import { isProviderFailure, providerUnavailable, type ExecutionProvider } from './providers.js';

type OrtSeverity = 0 | 1 | 2 | 3 | 4;
const SEVERITY: Record<string, OrtSeverity> = { verbose: 0, info: 1, warning: 2, error: 3, fatal: 4 };

/**
 * onnxruntime's own log lines repeat what our errors already say (and warn about harmless graph
 * details), so they are off unless LATENT_BRIDGE_ORT_LOG asks for a level.
 */
function logSeverity(): OrtSeverity {
  return SEVERITY[process.env['LATENT_BRIDGE_ORT_LOG'] ?? ''] ?? 4;
}

const LEVEL_NAMES = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;
// The process-wide logger (provider loading) is set once, before the first session exists.
ort.env.logLevel = LEVEL_NAMES[logSeverity()];

export function sessionOptions(provider: ExecutionProvider, threads: number | undefined, memoryPattern: boolean): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: logSeverity(),
    enableMemPattern: memoryPattern,
  };
  if (threads !== undefined) options.intraOpNumThreads = threads;
  if (provider === 'dml') {
    // DirectML does not support memory pattern optimization or parallel execution.
    options.enableMemPattern = false;
    options.executionMode = 'sequential';
  }
  return options;
}

/** Sorts a session-creation failure into a missing provider, a corrupt model or a load failure. */
function classifyOpenError(file: string, provider: ExecutionProvider, err: unknown): BridgeError {
  const message = err instanceof Error ? err.message : String(err);
  if (isProviderFailure(provider, message)) return providerUnavailable(provider, message);
  // onnxruntime ≤ 1.23 says "cannot get file size … [path]"; 1.24 and later validate the path first.
  const missingExternal =
    /cannot get file size: No such file or directory \[([^\]]+)\]/.exec(message) ?? /External data path does not exist: "([^"]+)"/.exec(message);
  if (missingExternal?.[1] !== undefined) {
    return new BridgeError(
      'model_invalid',
      `${file}: external weights file ${missingExternal[1]} is missing`,
      missingExternal[1],
    );
  }
  const corrupt = /protobuf parsing failed|INVALID_PROTOBUF|INVALID_GRAPH|GetExtDataFromTensorProto|out of bounds|ModelProto/i;
  if (corrupt.test(message)) {
    return new BridgeError('model_invalid', `${file} is not a valid ONNX model: ${message}`, file);
  }
  return new BridgeError('model_load_failed', `onnxruntime could not load ${file}: ${message}`, file);
}

export async function createSession(file: string, options: ort.InferenceSession.SessionOptions, provider: ExecutionProvider, errorFile = file): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(file, options);
  } catch (err) {
    throw classifyOpenError(errorFile, provider, err);
  }
}

/**
 * A session through the optimized-model cache: the cached graph when its key matches (already
 * optimized, so only the cheap basic passes run again), else the source optimized as usual with
 * onnxruntime saving the result, weights as external data (a UNet's graph passes protobuf's 2 GB).
 */
export async function createCached(source: string, cacheDir: string, provider: ExecutionProvider, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const key = await cacheKey(source, ort.env.versions.node ?? 'unknown', provider);
  if (await cacheMatches(cacheDir, key)) {
    try {
      return await ort.InferenceSession.create(path.join(cacheDir, CACHE_MODEL), { ...options, graphOptimizationLevel: 'basic' });
    } catch {
      // A damaged or foreign cache: fall through and rebuild it from the source.
    }
  }
  await prepareCache(cacheDir);
  let session: ort.InferenceSession;
  try {
    session = await createSession(source, {
      ...options,
      optimizedModelFilePath: path.join(cacheDir, CACHE_MODEL),
      extra: { session: { optimized_model_external_initializers_file_name: CACHE_DATA, optimized_model_external_initializers_min_size_in_bytes: '1024' } },
    }, provider, source);
  } catch (err) {
    await dropCache(cacheDir);
    throw err;
  }
  await commitCache(cacheDir, key);
  return session;
}
