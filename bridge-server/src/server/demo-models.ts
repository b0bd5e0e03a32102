import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { makeTestModel } from '../testmodels/index.js';

export const DEMO_MODEL = 'demo';
export const DEMO_INPAINT_MODEL = 'demo-inpaint';

export interface DemoModel {
  name: string;
  dir: string;
}

/** Written last, so a folder with it is complete (a crash mid-write leaves no half model). */
const COMPLETE_MARKER = 'model_index.json';

/**
 * The project's own oracle models, so a plug-in can be tried before any real model is pulled:
 * `demo` (4-channel UNet: txt2img, img2img) and `demo-inpaint` (9-channel inpainting UNet).
 * They are generated once into `cacheDir` and reused.
 */
export async function ensureDemoModels(cacheDir: string): Promise<DemoModel[]> {
  await mkdir(cacheDir, { recursive: true });
  return [
    await ensureOne(cacheDir, DEMO_MODEL, false),
    await ensureOne(cacheDir, DEMO_INPAINT_MODEL, true),
  ];
}

async function ensureOne(cacheDir: string, name: string, inpaint: boolean): Promise<DemoModel> {
  const dir = path.join(cacheDir, name);
  if (await isFile(path.join(dir, COMPLETE_MARKER))) return { name, dir };
  const staging = path.join(cacheDir, `.${name}-${process.pid}-${Date.now()}`);
  try {
    await makeTestModel('oracle', staging, { inpaint });
    // Only complete folders are renamed into place, so an existing one is complete: keep it.
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    // Another server may have finished the same model meanwhile.
    if (await isFile(path.join(dir, COMPLETE_MARKER))) return { name, dir };
    throw err;
  }
  return { name, dir };
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}
