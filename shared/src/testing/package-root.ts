/// <reference types="node" />
// Test support only (Node APIs allowed here; the library never imports src/testing/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared/ package folder, found by walking up from this module (works from shared/dist)
 * or, for builds in another folder, from the working directory (repo root or shared/).
 */
export function sharedPackageRoot(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), join(process.cwd(), 'shared'), process.cwd()];
  for (const start of starts) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (isSharedPackage(dir)) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error('Cannot find the @latent-bridge/shared package folder; run the tests from the repository root.');
}

function isSharedPackage(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
  return pkg.name === '@latent-bridge/shared';
}
