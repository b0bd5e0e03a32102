/**
 * Hugging Face Hub: listing a repo's files at a revision and picking those the ONNX pipeline needs.
 * API shape: GET {endpoint}/api/models/{repo}/tree/{revision}?recursive=true answers a JSON array of
 * { type: 'file' | 'directory', path, size, oid, lfs?: { oid: sha256, size } }, paged via a
 * `Link: <url>; rel="next"` header on large repos.
 */
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { COMPONENTS, EXTERNAL_DATA_NAMES, MODEL_INDEX } from './model-layout.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

export interface HubTarget {
  endpoint: string;
  repo: string;
  revision: string;
  token: string | undefined;
}

export interface RepoFile {
  path: string;
  size: number;
  /** sha256 of the content for LFS files (the Hub's lfs.oid); undefined for plain git files. */
  sha256: string | undefined;
}

const REPO = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

export function checkRepoId(repo: string): string {
  if (!REPO.test(repo) || repo.includes('..')) {
    throw invalidField('repo', `"${repo}" is not a Hugging Face repo id (owner/name)`);
  }
  return repo;
}

export function hubEndpoint(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = explicit ?? env['LATENT_BRIDGE_HF_ENDPOINT'] ?? env['HF_ENDPOINT'] ?? DEFAULT_HF_ENDPOINT;
  return value.replace(/\/+$/, '');
}

export function authHeaders(token: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'latent-bridge' };
  if (token !== undefined && token !== '') headers['authorization'] = `Bearer ${token}`;
  return headers;
}

export function fileUrl(t: HubTarget, filePath: string): string {
  const encoded = filePath.split('/').map(encodeURIComponent).join('/');
  return `${t.endpoint}/${t.repo}/resolve/${encodeURIComponent(t.revision)}/${encoded}`;
}

function nextPage(link: string | null): string | undefined {
  if (link === null) return undefined;
  return /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link)?.[1];
}

/** A remote path is only accepted when it cannot land outside the destination folder. */
function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || /^[a-zA-Z]:/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function parseEntries(body: unknown, where: string): RepoFile[] {
  if (!Array.isArray(body)) throw new BridgeError('download_failed', `${where}: the tree listing is not a JSON array`);
  const files: RepoFile[] = [];
  for (const e of body as unknown[]) {
    if (typeof e !== 'object' || e === null) continue;
    const entry = e as { type?: unknown; path?: unknown; size?: unknown; lfs?: { oid?: unknown; size?: unknown } };
    if (entry.type !== 'file' || typeof entry.path !== 'string' || !isSafeRelativePath(entry.path)) continue;
    const lfsSize = typeof entry.lfs?.size === 'number' ? entry.lfs.size : undefined;
    const size = lfsSize ?? (typeof entry.size === 'number' ? entry.size : undefined);
    if (size === undefined) continue;
    // The Hub sends bare hex; some Hub-compatible servers prefix it with "sha256:".
    const oid = typeof entry.lfs?.oid === 'string' ? entry.lfs.oid.replace(/^sha256:/, '').toLowerCase() : undefined;
    const sha256 = oid !== undefined && /^[0-9a-f]{64}$/.test(oid) ? oid : undefined;
    files.push({ path: entry.path, size, sha256 });
  }
  return files;
}

/** Every file in the repo at the revision (all pages). */
export async function listRepoFiles(t: HubTarget, signal?: AbortSignal): Promise<RepoFile[]> {
  const where = `${t.repo}@${t.revision}`;
  const revision = encodeURIComponent(t.revision);
  let url: string | undefined = `${t.endpoint}/api/models/${t.repo}/tree/${revision}?recursive=true`;
  const files: RepoFile[] = [];
  while (url !== undefined) {
    let res: Response;
    try {
      res = await fetch(url, { headers: authHeaders(t.token), signal: signal ?? null });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new BridgeError('download_failed', `${where}: cannot reach ${t.endpoint}: ${(err as Error).message}`);
    }
    if (res.status === 404 || res.status === 401) {
      // The Hub answers 401 rather than 404 for repos that do not exist when no token is sent.
      const hint = t.token ? '' : ' (if it is private or gated, set HF_TOKEN)';
      const message = `Repository ${t.repo} at revision ${t.revision} was not found on ${t.endpoint}${hint}`;
      throw new BridgeError('download_not_found', message, 'repo');
    }
    if (!res.ok) {
      throw new BridgeError('download_failed', `${where}: listing files failed with HTTP ${res.status}`);
    }
    files.push(...parseEntries(await res.json(), where));
    url = nextPage(res.headers.get('link'));
  }
  return files;
}

/** Files of one component folder that belong to its model.onnx: config, graph, external weights. */
function isComponentFile(component: string, p: string): boolean {
  const prefix = `${component}/`;
  if (!p.startsWith(prefix)) return false;
  const name = p.slice(prefix.length);
  if (name.includes('/')) return false;
  return (
    name === 'model.onnx' ||
    name === 'config.json' ||
    (EXTERNAL_DATA_NAMES as readonly string[]).includes(name) ||
    /^model\.onnx[._]data/.test(name)
  );
}

/**
 * The subset of a listing the ONNX pipeline uses. Throws download_not_found when the repo lacks
 * a required piece (typically: a PyTorch-only repo or the wrong revision).
 */
export function selectPipelineFiles(files: readonly RepoFile[], t: HubTarget): RepoFile[] {
  const picked = files.filter(
    (f) =>
      f.path === MODEL_INDEX ||
      /^(tokenizer|scheduler)\/[^/]+$/.test(f.path) ||
      COMPONENTS.some((c) => isComponentFile(c, f.path)),
  );
  const required = [
    MODEL_INDEX,
    'text_encoder/model.onnx',
    'unet/model.onnx',
    'vae_decoder/model.onnx',
    'tokenizer/vocab.json',
    'tokenizer/merges.txt',
    'scheduler/scheduler_config.json',
  ];
  const missing = required.filter((r) => !picked.some((f) => f.path === r));
  if (missing.length > 0) {
    throw new BridgeError(
      'download_not_found',
      `${t.repo}@${t.revision} has no ${missing.join(', ')}: it is not a diffusers ONNX export ` +
        '(some repos keep one on an "onnx" revision)',
      missing[0],
    );
  }
  return picked;
}
