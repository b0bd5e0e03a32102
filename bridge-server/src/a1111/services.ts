/**
 * What every A1111 route shares: the bridge core, the settings store, A1111's state, styles from
 * the config dir, the checkpoint a request runs on, and images in and out as A1111 sends them.
 */
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { decodeImage, encodePng, readPngText, type PngTextEntry, type RgbaImage } from '../image/index.js';
import type { BridgeCore } from '../server/bridge-core.js';
import { findCheckpoint, installedModel, listCheckpoints, type Checkpoint } from './checkpoints.js';
import { httpException } from './errors.js';
import { OptionStore, optBool, type OptionsView } from './options.js';
import { loadStyles, type PromptStyle } from './styles.js';
import { A1111State } from './state.js';
import type { ModelInfo } from '../models/index.js';
import type { A1111Remote } from './remote.js';

export const STYLES_FILE = 'styles.csv';

export interface A1111ServicesOptions {
  core: BridgeCore;
  token: string | null;
  /** Settings and styles.csv live here; undefined keeps settings in memory only. */
  configDir: string | undefined;
  log?: (line: string) => void;
  /** A queue front's: txt2img and img2img run on its workers. */
  remote?: A1111Remote;
}

export class A1111Services {
  readonly core: BridgeCore;
  readonly token: string | null;
  readonly configDir: string | undefined;
  readonly options: OptionStore;
  readonly state = new A1111State();
  /** A1111 jobs waiting in the queue behind other work. */
  waiting = 0;
  readonly remote: A1111Remote | undefined;
  /**
   * Answers carry the images even when the request says send_images false: a worker running a
   * front's request whose front saves them (save_images) sets it.
   */
  keepImages = false;
  private readonly ready: Promise<void>;

  constructor(o: A1111ServicesOptions) {
    this.core = o.core;
    this.token = o.token;
    this.configDir = o.configDir;
    this.remote = o.remote;
    this.options = OptionStore.inDir(o.configDir);
    this.ready = this.options.load(o.log);
  }

  async settings(): Promise<OptionStore> {
    await this.ready;
    return this.options;
  }

  stylesFile(): string | undefined {
    return this.configDir === undefined ? undefined : path.join(this.configDir, STYLES_FILE);
  }

  async styles(): Promise<PromptStyle[]> {
    const file = this.stylesFile();
    return file === undefined ? [] : loadStyles(file);
  }

  /**
   * The checkpoint a request runs on: override_settings' sd_model_checkpoint, else the stored
   * setting, else the first model. A name that matches none is A1111's 404 "Model not found".
   */
  async checkpoint(view: OptionsView): Promise<Checkpoint & { info: ModelInfo }> {
    const all = await listCheckpoints(this.core);
    const wanted = view['sd_model_checkpoint'];
    let hit = all[0];
    if (typeof wanted === 'string' && wanted !== '') hit = findCheckpoint(all, wanted);
    if (hit === undefined) throw httpException(404, 'Model not found');
    return { ...hit, info: await installedModel(this.core, hit) };
  }

  /** The title A1111 reports as sd_model_checkpoint (the stored one's, or the first model's). */
  async currentTitle(): Promise<string | null> {
    const all = await listCheckpoints(this.core);
    const wanted = (await this.settings()).get('sd_model_checkpoint');
    if (typeof wanted === 'string' && wanted !== '') return findCheckpoint(all, wanted)?.title ?? wanted;
    return all[0]?.title ?? null;
  }
}

/** decode_base64_to_image: a data URL or bare base64 image; URLs are not fetched by this server. */
export async function decodeA1111Image(value: string, maxPixels: number, field: string): Promise<{ image: RgbaImage; bytes: Uint8Array }> {
  if (value.startsWith('http://') || value.startsWith('https://')) throw httpException(500, 'Requests not allowed');
  let b64 = value;
  if (b64.startsWith('data:image/')) b64 = b64.split(';')[1]?.split(',')[1] ?? '';
  const buf = Buffer.from(b64, 'base64');
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  try {
    return { image: await decodeImage(bytes, { maxPixels, field }), bytes };
  } catch (err) {
    if (err instanceof BridgeError && err.code === 'limit_exceeded') throw httpException(413, err.message);
    throw httpException(500, 'Invalid encoded image');
  }
}

/** Text chunks of a PNG (none for other formats or unreadable ones). */
export function pngTextOf(bytes: Uint8Array): PngTextEntry[] {
  try {
    return readPngText(bytes);
  } catch {
    return [];
  }
}

/** encode_pil_to_base64 for a result: PNG with its text entries (when enable_pnginfo), base64. */
export async function pngBase64(image: RgbaImage, text: readonly PngTextEntry[], view: OptionsView): Promise<string> {
  const entries = optBool(view, 'enable_pnginfo') ? text : [];
  const png = await encodePng(image, entries.length > 0 ? { text: entries } : {});
  return Buffer.from(png).toString('base64');
}
