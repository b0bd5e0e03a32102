/**
 * save_images: true — the results written where A1111 writes them, relative to the bridge's config
 * dir: outdir_samples or outdir_<mode>_samples, a folder per day (directories_filename_pattern
 * "[date]"), files "<NNNNN>-<seed>.png" numbered on from what the folder holds.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { encodePng, type PngTextEntry } from '../image/index.js';
import { httpException } from './errors.js';
import { optBool, optString, type OptionsView } from './options.js';
import type { Processed } from './processing/processed.js';

function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export async function saveOutputs(
  configDir: string | undefined,
  view: OptionsView,
  mode: 'txt2img' | 'img2img',
  processed: Processed,
  texts: ReadonlyArray<readonly PngTextEntry[]>,
): Promise<void> {
  if (configDir === undefined || !optBool(view, 'samples_save')) return;
  const pngs: Uint8Array[] = [];
  for (const [i, image] of processed.images.entries()) pngs.push(await encodePng(image, { text: optBool(view, 'enable_pnginfo') ? [...(texts[i] ?? [])] : [] }));
  await writeOutputs(configDir, view, mode, pngs, (processed.js['all_seeds'] as number[] | undefined) ?? []);
}

/** Encoded results into the outputs folder (a queue front writes the PNGs its worker returned). */
export async function writeOutputs(configDir: string | undefined, view: OptionsView, mode: 'txt2img' | 'img2img', pngs: readonly Uint8Array[], seeds: readonly number[]): Promise<void> {
  if (configDir === undefined || !optBool(view, 'samples_save')) return;
  const base = optString(view, 'outdir_samples') || optString(view, `outdir_${mode}_samples`);
  const dir = path.resolve(configDir, base, optBool(view, 'save_to_dirs') ? today() : '');
  if (!dir.startsWith(path.resolve(configDir))) throw httpException(422, `save_images: ${base} is outside the bridge's config dir`);
  await mkdir(dir, { recursive: true });
  let next = 0;
  for (const name of await readdir(dir)) {
    const n = Number.parseInt(name.split('-')[0] ?? '', 10);
    if (Number.isInteger(n) && n >= next) next = n + 1;
  }
  for (const [i, png] of pngs.entries()) {
    const file = path.join(dir, `${String(next + i).padStart(5, '0')}-${seeds[i] ?? 0}.png`);
    // A temporary name of this process's own: a queue front and a bridge may share the folder.
    const tmp = `${file}.${process.pid}-${randomUUID()}.tmp`;
    await writeFile(tmp, png);
    await rename(tmp, file);
  }
}
