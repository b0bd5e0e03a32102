/**
 * Where models live on disk and how a name becomes a folder. Names can arrive from the network,
 * so they are checked to stay one plain folder name inside the root.
 */
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BridgeError, invalidField } from '@latent-bridge/shared';
import { inspectModel, modelInfoFromScan } from './inspect-model.js';
import { MODEL_INDEX, type ModelInfo, type ModelProblem } from './model-layout.js';
import { scanModelFolder } from './validate-model.js';

/**
 * LATENT_BRIDGE_MODELS, else the platform's per-user data folder:
 * $XDG_DATA_HOME (~/.local/share) on Linux, ~/Library/Application Support on macOS,
 * %LOCALAPPDATA% on Windows; then latent-bridge/models.
 */
export function defaultModelsRoot(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env['LATENT_BRIDGE_MODELS'];
  if (override !== undefined && override !== '') return path.resolve(override);
  let base: string;
  if (platform === 'win32') {
    base = env['LOCALAPPDATA'] || path.win32.join(home, 'AppData', 'Local');
    return path.win32.join(base, 'latent-bridge', 'models');
  }
  if (platform === 'darwin') base = path.join(home, 'Library', 'Application Support');
  else base = env['XDG_DATA_HOME'] || path.join(home, '.local', 'share');
  return path.join(base, 'latent-bridge', 'models');
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws invalid_field unless `name` is a single safe folder name (no separators, no '..'). */
export function checkModelName(name: string, field = 'model'): string {
  if (!NAME.test(name) || name.includes('..')) {
    throw invalidField(field, `"${name}" is not a model name (letters, digits, '.', '_', '-'; no paths)`);
  }
  return name;
}

/** The folder name a pulled Hugging Face repo gets: its last segment ("org/sd-1.5-onnx" -> "sd-1.5-onnx"). */
export function modelNameForRepo(repo: string): string {
  const last = repo.split('/').pop() ?? repo;
  return checkModelName(last, 'repo');
}

function looksLikePath(value: string): boolean {
  return /[\\/]/.test(value) || value.startsWith('.') || value.startsWith('~') || path.isAbsolute(value);
}

async function hasModelIndex(dir: string): Promise<boolean> {
  const s = await stat(path.join(dir, MODEL_INDEX)).catch(() => undefined);
  return s?.isFile() ?? false;
}

export interface ModelEntry {
  name: string;
  dir: string;
}

/** A model in the store: its facts when it is usable, else everything wrong with it. */
export interface ModelListEntry extends ModelEntry {
  info: ModelInfo | undefined;
  problems: ModelProblem[];
}

export interface ResolveOptions {
  /** Accept a folder path as well as a name: for the local CLI, never for names from the network. */
  allowPaths?: boolean;
}

export class ModelStore {
  readonly root: string;

  constructor(root: string = defaultModelsRoot()) {
    this.root = path.resolve(root);
  }

  /** Subfolders of the root holding a model_index.json, sorted by name. A missing root is empty. */
  async entries(): Promise<ModelEntry[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const models: ModelEntry[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !NAME.test(entry.name)) continue;
      const dir = path.join(this.root, entry.name);
      if (await hasModelIndex(dir)) models.push({ name: entry.name, dir });
    }
    return models.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Like entries(), with each model inspected; broken models are listed with their problems. */
  async list(): Promise<ModelListEntry[]> {
    const out: ModelListEntry[] = [];
    for (const entry of await this.entries()) {
      const scan = await scanModelFolder(entry.dir);
      const info = scan.problems.length === 0 ? await modelInfoFromScan(scan) : undefined;
      out.push({ ...entry, info, problems: scan.problems });
    }
    return out;
  }

  /** The folder for a name (or, with allowPaths, a path); model_not_found when there is no model. */
  async locate(nameOrPath: string, options: ResolveOptions = {}): Promise<string> {
    let dir: string;
    if (options.allowPaths === true && looksLikePath(nameOrPath)) {
      const expanded = nameOrPath.startsWith('~') ? path.join(os.homedir(), nameOrPath.slice(1)) : nameOrPath;
      dir = path.resolve(expanded);
    } else {
      dir = path.join(this.root, checkModelName(nameOrPath));
    }
    if (!(await hasModelIndex(dir))) {
      const where = dir === path.join(this.root, nameOrPath) ? `in ${this.root}` : `at ${dir}`;
      throw new BridgeError('model_not_found', `No model "${nameOrPath}" ${where} (no ${MODEL_INDEX})`, 'model');
    }
    return dir;
  }

  /** locate() + inspectModel(): model_not_found, invalid_field or model_invalid when unusable. */
  async resolve(nameOrPath: string, options: ResolveOptions = {}): Promise<ModelInfo> {
    return inspectModel(await this.locate(nameOrPath, options));
  }
}
