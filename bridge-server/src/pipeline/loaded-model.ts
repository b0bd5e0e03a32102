import { BridgeError } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import { groupNormStatsCopy } from '../onnx-rewrite/index.js';
import { cacheFolderFor, OnnxModel, type ExecutionProvider, type OpenOptions } from '../runtime/index.js';
import { ClipTokenizer } from '../tokenizer/index.js';
import { findTaesdDecoder } from './preview-decoder.js';
import type { VaeTiles } from './vae.js';
import { resolveTiling, type VaeTilingOptions } from './vae-tiling/tiling-options.js';

export interface LoadOptions {
  provider?: ExecutionProvider;
  threads?: number;
  /** When and how the VAE runs in tiles (default: above 1024² images, see DEFAULT_VAE_TILING). */
  vaeTiling?: Partial<VaeTilingOptions>;
  /**
   * Root folder of onnxruntime's optimized-model caches (runtime/optimized-cache.ts): each
   * component's optimized graph is kept there, so later loads skip graph optimization. Unset: none.
   */
  optimizedCacheDir?: string;
  /** onnxruntime's memory pattern for every session (OpenOptions.memoryPattern; default off). */
  memoryPattern?: boolean;
  /** Which sessions stay open through a decode (see Residency); default 'lean'. */
  residency?: Residency;
}

/**
 * 'lean': while the VAE decodes, the largest activations of a job, only the UNet and the decoder
 * are open: the text encoders and the VAE encoder are evicted before it. When the job ends
 * (settle()), the decoder is evicted too, since onnxruntime's CPU arena keeps a pass's activations
 * for the session's life (a 512² SD 1.5 decode: 1 GiB), and every evicted session reopens in the
 * background, so the next job finds it open. 'resident': every session stays open, arenas included.
 */
export type Residency = 'lean' | 'resident';

const TEXT_SESSIONS = ['text_encoder', 'text_encoder_2'];
const ENCODER_SESSIONS = ['vae_encoder', 'vae_encoder#gn-stats'];
const DECODER_SESSIONS = ['vae_decoder', 'vae_decoder#gn-stats'];

/**
 * One Stable Diffusion model with its sessions open. Sessions are opened on first use, so a
 * txt2img-only job never pays for the VAE encoder, and released together.
 */
export class LoadedModel {
  readonly info: ModelInfo;
  readonly tokenizer: ClipTokenizer;
  /** SDXL's second tokenizer (same vocabulary, pads with "!"). */
  readonly tokenizer2: ClipTokenizer | undefined;
  private readonly options: LoadOptions;
  private readonly tiling: VaeTilingOptions;
  private readonly sessions = new Map<string, Promise<OnnxModel>>();
  private preview: Promise<OnnxModel | undefined> | undefined;
  /** Sessions evicted since the last settle(), and whether a decode ran since. */
  private evicted = new Set<OnnxModel>();
  private decoded = false;
  private rewarming: Promise<void> = Promise.resolve();

  private constructor(info: ModelInfo, tokenizer: ClipTokenizer, tokenizer2: ClipTokenizer | undefined, options: LoadOptions) {
    this.info = info;
    this.tokenizer = tokenizer;
    this.tokenizer2 = tokenizer2;
    this.options = options;
    this.tiling = resolveTiling(options.vaeTiling);
  }

  static async load(info: ModelInfo, options: LoadOptions = {}): Promise<LoadedModel> {
    // Embeddings added to the text encoders come with their trigger words.
    const words = info.addedWords ?? [];
    const learn = (t: ClipTokenizer) => (words.length > 0 ? t.withAddedWords(words) : t);
    const tokenizer = learn(await ClipTokenizer.fromFolder(info.tokenizerDir));
    const tokenizer2 = info.tokenizer2Dir === undefined ? undefined : learn(await ClipTokenizer.fromFolder(info.tokenizer2Dir));
    const model = new LoadedModel(info, tokenizer, tokenizer2, options);
    // The text encoders and UNet are needed by every job; open them now so load errors surface early.
    await Promise.all([model.textEncoder(), model.unet(), ...(tokenizer2 ? [model.textEncoder2()] : [])]);
    return model;
  }

  textEncoder(): Promise<OnnxModel> {
    return this.open('text_encoder', this.info.components.textEncoder);
  }

  textEncoder2(): Promise<OnnxModel> {
    return this.open('text_encoder_2', this.info.components.textEncoder2);
  }

  unet(): Promise<OnnxModel> {
    return this.open('unet', this.info.components.unet);
  }

  vaeDecoder(): Promise<OnnxModel> {
    return this.open('vae_decoder', this.info.components.vaeDecoder);
  }

  vaeEncoder(): Promise<OnnxModel> {
    return this.open('vae_encoder', this.info.components.vaeEncoder);
  }

  /**
   * The TAESD decoder installed for this model's latent space (its own folder or the store's
   * previews folder), opened on first use; undefined when none is installed or it fails to open
   * (previews then fall back to the linear map: a preview never fails a job).
   */
  previewDecoder(): Promise<OnnxModel | undefined> {
    this.preview ??= (async () => {
      const file = await findTaesdDecoder(this.info);
      if (file === undefined) return undefined;
      return OnnxModel.open(file, openOptions(file, this.options, `${this.info.name}/taesd_decoder`)).catch(() => undefined);
    })();
    return this.preview;
  }

  /**
   * Runs a VAE decode with the decoder (and its tiles) under the residency policy. Within a job
   * the decoder stays open from one decode to the next (animation frames, batches, hires fix).
   */
  async decoding<T>(signal: AbortSignal | undefined, work: (decoder: OnnxModel, tiles: VaeTiles) => Promise<T>): Promise<T> {
    if (this.options.residency !== 'resident') {
      for (const session of await this.evict([...TEXT_SESSIONS, ...ENCODER_SESSIONS])) this.evicted.add(session);
      this.decoded = true;
    }
    return work(await this.vaeDecoder(), this.decoderTiles(signal));
  }

  /**
   * Called when no job is using the model: after a decode, evicts the decoder (giving back its
   * arena) and reopens in the background every session the job evicted. Without it (a one-shot
   * CLI run) evicted sessions simply reopen when next used.
   */
  settle(): Promise<void> {
    if (!this.decoded) return this.rewarming;
    this.decoded = false;
    const evicted = this.evicted;
    this.evicted = new Set();
    this.rewarming = (async () => {
      for (const session of await this.evict(DECODER_SESSIONS)) evicted.add(session);
      // A failed reopen is left to the next run, which retries it and reports the error.
      await Promise.all([...evicted].map((session) => session.warm().catch(() => undefined)));
    })();
    return this.rewarming;
  }

  /** Evicts the named sessions that are open; returns them. */
  private async evict(labels: readonly string[]): Promise<OnnxModel[]> {
    const open: OnnxModel[] = [];
    for (const label of labels) {
      const session = await this.sessions.get(label)?.catch(() => undefined);
      if (session?.resident === true) open.push(session);
    }
    await Promise.all(open.map((s) => s.evict()));
    return open;
  }

  /** Tiled decoding for large latents: the decoder's GroupNorm-statistics variant, made on first use. */
  decoderTiles(signal?: AbortSignal): VaeTiles {
    return this.tiles('vae_decoder', this.info.components.vaeDecoder, signal);
  }

  /** Tiled encoding for large images: the encoder's GroupNorm-statistics variant. */
  encoderTiles(signal?: AbortSignal): VaeTiles {
    return this.tiles('vae_encoder', this.info.components.vaeEncoder, signal);
  }

  private tiles(label: string, file: string | undefined, signal: AbortSignal | undefined): VaeTiles {
    const variant = (): Promise<OnnxModel> => {
      let session = this.sessions.get(`${label}#gn-stats`);
      if (!session) {
        session = (async () => {
          if (file === undefined) return openComponent(label, file, this.info, this.options);
          const copy = await groupNormStatsCopy(file).catch((err: unknown) => {
            throw new BridgeError('model_load_failed', `${this.info.name}/${label}: could not write its tiling variant: ${err instanceof Error ? err.message : String(err)}`, file);
          });
          return openComponent(`${label} (tiled)`, copy, this.info, this.options);
        })();
        this.sessions.set(`${label}#gn-stats`, session);
        session.catch(() => this.sessions.delete(`${label}#gn-stats`));
      }
      return session;
    };
    return { options: this.tiling, variant, signal };
  }

  /** Sessions opened so far, for timing and memory accounting. */
  async openSessions(): Promise<Map<string, OnnxModel>> {
    const out = new Map<string, OnnxModel>();
    for (const [name, session] of this.sessions) out.set(name, await session);
    return out;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    const preview = this.preview;
    this.preview = undefined;
    await (await preview)?.release();
    await Promise.all(all.map(async (s) => (await s).release()));
  }

  private open(label: string, path: string | undefined): Promise<OnnxModel> {
    let session = this.sessions.get(label);
    if (!session) {
      session = openComponent(label, path, this.info, this.options);
      this.sessions.set(label, session);
      // A failed open must not poison the cache: the next job retries.
      session.catch(() => this.sessions.delete(label));
    }
    return session;
  }
}

async function openComponent(label: string, path: string | undefined, info: ModelInfo, options: LoadOptions): Promise<OnnxModel> {
  if (path === undefined) {
    throw new BridgeError('model_invalid', `Model "${info.name}" has no ${label}; this mode needs ${label}/model.onnx`, label);
  }
  return OnnxModel.open(path, openOptions(path, options, `${info.name}/${label}`));
}

/** The session options of one component file, with its optimized-model cache folder when caching is on. */
function openOptions(file: string, options: LoadOptions, label: string): OpenOptions {
  const { optimizedCacheDir, vaeTiling: _tiling, ...rest } = options;
  return { ...rest, label, ...(optimizedCacheDir !== undefined ? { optimizedCache: cacheFolderFor(optimizedCacheDir, file) } : {}) };
}
