/**
 * /sdapi/v1/options: A1111's settings, persisted in the config dir (a1111-options.json, written
 * whole through a temporary file, so a crash never leaves half a file). sd_model_checkpoint picks
 * the model A1111 requests run on; every other key is stored and returned as the client set it,
 * and the ones the bridge acts on are read by the job (see feature-support.ts).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FieldValue } from './fields.js';
import { OPTION_DEFAULTS } from './option-defaults.js';

export const OPTIONS_FILE = 'a1111-options.json';

/** Values by key, read-only: the store's settings with a request's override_settings on top. */
export type OptionsView = Readonly<Record<string, FieldValue>>;

export class OptionStore {
  private values: Record<string, FieldValue> = {};
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string | undefined) {}

  static inDir(configDir: string | undefined): OptionStore {
    return new OptionStore(configDir === undefined ? undefined : path.join(configDir, OPTIONS_FILE));
  }

  /** Reads the saved settings; a missing file is none, a corrupt one is reported and replaced on the next save. */
  async load(log: (line: string) => void = () => undefined): Promise<void> {
    if (this.file === undefined) return;
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) this.values = parsed as Record<string, FieldValue>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log(`A1111 options in ${this.file} could not be read (${String(err)}); using defaults.`);
    }
  }

  /** Every setting: defaults, then what was set. */
  all(): Record<string, FieldValue> {
    return { ...structuredClone(OPTION_DEFAULTS), ...structuredClone(this.values) };
  }

  get(key: string): FieldValue | undefined {
    return Object.prototype.hasOwnProperty.call(this.values, key) ? this.values[key] : OPTION_DEFAULTS[key];
  }

  /** The settings a job runs with: the stored ones and the request's override_settings. */
  view(overrides: Readonly<Record<string, FieldValue>> = {}): OptionsView {
    return Object.freeze({ ...this.all(), ...structuredClone(overrides) });
  }

  /** Stores and saves; writes are serialized so the file always holds the last full state. */
  async set(changes: Readonly<Record<string, FieldValue>>, persist = true): Promise<void> {
    this.values = { ...this.values, ...structuredClone(changes) };
    if (!persist || this.file === undefined) return;
    const file = this.file;
    const snapshot = JSON.stringify(this.values, null, 2);
    const write = this.writing.then(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot, 'utf8');
      await rename(tmp, file);
    });
    this.writing = write.catch(() => undefined);
    await write;
  }
}

/** A view's value as a number, string or boolean, falling back to A1111's default for the key. */
export function optNumber(view: OptionsView, key: string): number {
  const v = view[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  const d = OPTION_DEFAULTS[key];
  return typeof d === 'number' ? d : 0;
}

export function optString(view: OptionsView, key: string): string {
  const v = view[key];
  if (typeof v === 'string') return v;
  const d = OPTION_DEFAULTS[key];
  return typeof d === 'string' ? d : '';
}

export function optBool(view: OptionsView, key: string): boolean {
  const v = view[key];
  if (typeof v === 'boolean') return v;
  const d = OPTION_DEFAULTS[key];
  return typeof d === 'boolean' ? d : false;
}
