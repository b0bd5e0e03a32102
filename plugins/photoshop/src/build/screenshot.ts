import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

/** A headless Chromium on PATH, or null. */
export function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    const bin = found.stdout.trim();
    if (found.status === 0 && bin) return bin;
  }
  return null;
}

/**
 * Renders the panel (src/ui/screenshot-page.ts: real panel + adapter on the fake photoshop
 * module) in headless Chromium and writes a PNG of `size`. Returns the page's DOM after the
 * scripts ran, so the caller can check what the panel shows.
 */
export async function renderPanelScreenshot(packageRoot: string, outPng: string, size: { width: number; height: number }, chromium: string, page = 'screenshot-page.ts'): Promise<string> {
  const work = mkdtempSync(path.join(tmpdir(), 'lb-ps-shot-'));
  try {
    const bundled = await build({
      entryPoints: [path.join(packageRoot, 'src', 'ui', page)],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
      tsconfig: path.join(packageRoot, 'tsconfig.json'),
    });
    const script = bundled.outputFiles[0]?.text ?? '';
    const css = readFileSync(path.join(packageRoot, 'static', 'panel.css'), 'utf8');
    const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>${css}</style></head><body><div id="app"></div><script>${script.replace(/<\/script/g, '<\\/script')}</script></body></html>`;
    const htmlFile = path.join(work, 'panel.html');
    writeFileSync(htmlFile, html);
    mkdirSync(path.dirname(outPng), { recursive: true });
    rmSync(outPng, { force: true });
    const run = spawnSync(chromium, [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      `--user-data-dir=${path.join(work, 'profile')}`,
      `--window-size=${size.width},${size.height}`,
      '--virtual-time-budget=5000',
      '--dump-dom',
      `--screenshot=${outPng}`,
      `file://${htmlFile}`,
    // The DOM holds data URLs of every image; the default 1 MB would cut it short.
    ], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    if (!existsSync(outPng)) throw new Error(`chromium wrote no screenshot (status ${run.status}): ${run.stderr}`);
    return run.stdout;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Width and height from a PNG's IHDR. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
