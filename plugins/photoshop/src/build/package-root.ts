import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = '@latent-bridge/photoshop';

/**
 * plugins/photoshop, found by walking up from this module (works from dist/) or, for builds
 * placed elsewhere, from the working directory (the repository root or the package itself).
 */
export function photoshopPackageRoot(): string {
  const starts = [path.dirname(fileURLToPath(import.meta.url)), process.cwd(), path.join(process.cwd(), 'plugins', 'photoshop')];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      if (isPackage(dir)) return dir;
      if (isPackage(path.join(dir, 'plugins', 'photoshop'))) return path.join(dir, 'plugins', 'photoshop');
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(`cannot find the ${NAME} package folder`);
}

function isPackage(dir: string): boolean {
  const file = path.join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === NAME;
  } catch {
    return false;
  }
}
