/**
 * Where the CLIP vocabulary shipped with the server lives (bridge-server/assets/clip-tokenizer,
 * MIT, from openai/CLIP). Found by walking up from this module to bridge-server's package.json, so
 * it works from dist/ and src/; builds placed elsewhere fall back to walking up from the cwd.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BridgeError } from '@latent-bridge/shared';

const PACKAGE_NAME = '@latent-bridge/bridge-server';
const ASSET_DIR = join('assets', 'clip-tokenizer');

function isServerPackage(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

function findUpwards(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (isServerPackage(dir)) return dir;
    // From the workspace root, the package sits one level down.
    if (isServerPackage(join(dir, 'bridge-server'))) return join(dir, 'bridge-server');
    if (dirname(dir) === dir) return undefined;
  }
}

export function bundledClipTokenizerDir(): string {
  const root = findUpwards(dirname(fileURLToPath(import.meta.url))) ?? findUpwards(process.cwd());
  if (root === undefined) {
    throw new BridgeError('tokenizer_invalid', `cannot find ${PACKAGE_NAME}/${ASSET_DIR}`, 'vocab.json');
  }
  return join(root, ASSET_DIR);
}
