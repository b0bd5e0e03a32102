import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/** The manifest's icons (static/icons): plug-in list 24 px and panel 23 px, each at 1× and 2×. */
export const ICON_FILES = ['icons/plugin.png', 'icons/plugin@2x.png', 'icons/panel.png', 'icons/panel@2x.png'] as const;

/** What UXP loads: manifest.json, index.html, panel.css, the bundled index.js and the icons. */
export const PLUGIN_FILES = ['manifest.json', 'index.html', 'panel.css', 'index.js', ...ICON_FILES] as const;

/**
 * Bundles src/main.ts (and the shared protocol it imports) into one browser-style script in
 * `outDir`, next to the manifest and the static files. `photoshop` and `uxp` stay external:
 * UXP provides them through require().
 */
export async function bundlePlugin(packageRoot: string, outDir = path.join(packageRoot, 'dist-plugin')): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(packageRoot, 'src', 'main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    external: ['photoshop', 'uxp'],
    outfile: path.join(outDir, 'index.js'),
    legalComments: 'none',
    logLevel: 'silent',
    tsconfig: path.join(packageRoot, 'tsconfig.json'),
  });
  copyFileSync(path.join(packageRoot, 'manifest.json'), path.join(outDir, 'manifest.json'));
  copyFileSync(path.join(packageRoot, 'static', 'index.html'), path.join(outDir, 'index.html'));
  copyFileSync(path.join(packageRoot, 'static', 'panel.css'), path.join(outDir, 'panel.css'));
  mkdirSync(path.join(outDir, 'icons'), { recursive: true });
  for (const icon of ICON_FILES) copyFileSync(path.join(packageRoot, 'static', icon), path.join(outDir, icon));
  return outDir;
}

export function readManifest(dir: string): unknown {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
}
