/**
 * `pullModel`: fetches the files of a diffusers ONNX repo from the Hugging Face Hub (or a mirror)
 * into a model folder, then inspects it. Re-running resumes: finished files are skipped and
 * partial ones continue from their .part file.
 */
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { downloadFile } from './download-file.js';
import {
  authHeaders,
  checkRepoId,
  fileUrl,
  hubEndpoint,
  listRepoFiles,
  selectPipelineFiles,
  type HubTarget,
  type RepoFile,
} from './hf-listing.js';
import { inspectModel } from './inspect-model.js';
import { COMPONENTS, componentModelPath, type ModelInfo } from './model-layout.js';
import { modelNameForRepo } from './model-store.js';
import { readOnnxOutline } from './onnx-reader.js';
import { ProtobufError } from './protobuf-reader.js';

export interface PullProgress {
  /** Repo-relative path of the file being fetched. */
  file: string;
  fileBytes: number;
  fileTotal: number;
  /** Bytes of all files, done so far and in total (skipped files count as done). */
  bytes: number;
  total: number;
}

export interface PullOptions {
  revision?: string;
  /** The models root: the model goes to <root>/<repo name>. Ignored when dest is given. */
  root?: string;
  /** The exact folder to fill. */
  dest?: string;
  /** Defaults to LATENT_BRIDGE_HF_ENDPOINT, HF_ENDPOINT, then https://huggingface.co. */
  endpoint?: string;
  /** Defaults to HF_TOKEN. */
  token?: string;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** Consecutive attempts without progress per file before download_failed (default 5). */
  retries?: number;
  retryDelayMs?: number;
  idleTimeoutMs?: number;
}

/**
 * Paths of external weight files a downloaded model.onnx refers to that the name-based selection
 * missed (exporters that write one file per tensor, or unusual names).
 */
async function referencedFiles(
  dest: string,
  listing: readonly RepoFile[],
  chosen: ReadonlySet<string>,
  t: HubTarget,
): Promise<RepoFile[]> {
  const extra: RepoFile[] = [];
  for (const component of COMPONENTS) {
    const rel = componentModelPath(component);
    if (!chosen.has(rel)) continue;
    let locations: string[];
    try {
      locations = (await readOnnxOutline(path.join(dest, rel))).externalData.map((r) => r.location);
    } catch (err) {
      if (err instanceof ProtobufError) continue; // inspectModel reports it with the path
      throw err;
    }
    for (const location of new Set(locations)) {
      const p = `${component}/${location.replace(/\\/g, '/')}`;
      if (chosen.has(p) || extra.some((f) => f.path === p)) continue;
      const remote = listing.find((f) => f.path === p);
      if (remote === undefined) {
        const message = `${t.repo}@${t.revision}: ${rel} needs ${p}, which the repo does not have`;
        throw new BridgeError('download_not_found', message, p);
      }
      extra.push(remote);
    }
  }
  return extra;
}

export async function pullModel(repo: string, options: PullOptions): Promise<ModelInfo> {
  const target: HubTarget = {
    endpoint: hubEndpoint(options.endpoint),
    repo: checkRepoId(repo),
    revision: options.revision ?? 'main',
    token: options.token ?? process.env['HF_TOKEN'],
  };
  let dest: string;
  if (options.dest !== undefined) dest = path.resolve(options.dest);
  else if (options.root !== undefined) dest = path.join(path.resolve(options.root), modelNameForRepo(repo));
  else throw new BridgeError('invalid_field', 'pullModel needs a root or a dest folder', 'dest');

  const listing = await listRepoFiles(target, options.signal);
  const files = selectPipelineFiles(listing, target);
  let total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;

  const fetchAll = async (batch: readonly RepoFile[]): Promise<void> => {
    for (const f of batch) {
      options.signal?.throwIfAborted();
      await downloadFile({
        url: fileUrl(target, f.path),
        dest: path.join(dest, ...f.path.split('/')),
        size: f.size,
        sha256: f.sha256,
        headers: authHeaders(target.token),
        describe: `${target.repo}@${target.revision}: ${f.path}`,
        onBytes: (fileBytes) =>
          options.onProgress?.({ file: f.path, fileBytes, fileTotal: f.size, bytes: done + fileBytes, total }),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        ...(options.retries !== undefined ? { retries: options.retries } : {}),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      });
      done += f.size;
    }
  };

  await fetchAll(files);
  const extra = await referencedFiles(dest, listing, new Set(files.map((f) => f.path)), target);
  total += extra.reduce((n, f) => n + f.size, 0);
  await fetchAll(extra);
  return inspectModel(dest);
}
