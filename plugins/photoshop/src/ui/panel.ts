import type { BridgeClient, ConnectionState } from '../client/bridge-client.js';
import type { JobResult } from '../client/job-stream.js';
import type { DocumentInfo, HostAdapter } from '../core/host.js';
import { seedFromLayerName } from '../core/layer-name.js';
import { plainError } from '../core/plain-words.js';
import { runJob } from '../core/run-job.js';
import { fitBox, fitWithin, resizeRgba } from '../core/pixels.js';
import { DEFAULT_SETTINGS, type JobSettings } from '../core/settings.js';
import { documentHint } from './document-hint.js';
import { panelMarkup } from './panel-markup.js';
import { randomSeed, readSettings, restoreSettings } from './panel-settings.js';
import { ModelSection } from './model-section.js';
import { TokenField, type KeyValueStore, type SecretStore } from './token-field.js';

export type { KeyValueStore, SecretStore } from './token-field.js';
import { byId, checkedOf, pickerValue, setChecked, setChildren, setDisabled, setPickerItems, setPickerValue, setText, textOf } from './widgets.js';

export interface PanelDeps {
  host: HostAdapter;
  client: BridgeClient;
  store: KeyValueStore;
  secrets: SecretStore;
  /** Called with the new address/token so the client reconnects with them. */
  configureClient(url: string, token: string): void;
}

const KEY_URL = 'latent-bridge.url';
const KEY_SETTINGS = 'latent-bridge.settings';

/** Variation strength "More like this" sets when none is chosen: close to the original. */
const MORE_LIKE_THIS_STRENGTH = 0.25;

/** Thumbnail size in the results strip (2× its CSS size for HiDPI screens). */
const THUMB_PIXELS = 112 * 112;
const THUMB_SIDE = 56;
/** The live preview's display box in CSS pixels. */
const PREVIEW_BOX = { width: 220, height: 160 } as const;


export interface ResultThumb {
  layerId: number;
  url: string;
  seed: number;
  /** Display size in CSS pixels (the thumbnail's aspect within THUMB_SIDE²). */
  width?: number;
  height?: number;
}


/** The panel: builds the markup into `root` and wires it to the host and the bridge. */
export class Panel {
  private abort: AbortController | null = null;
  private results: { documentId: number; thumbs: ResultThumb[]; chosen: number } | null = null;
  private nativeSize = 512;
  private sizeMultiple: number | undefined;
  private readonly token: TokenField;
  /** Resolves once the token has been read from secure storage. */
  readonly ready: Promise<void>;

  readonly models: ModelSection;

  constructor(private readonly root: HTMLElement, private readonly deps: PanelDeps) {
    root.innerHTML = panelMarkup();
    this.models = new ModelSection(root, deps.client, {
      applyDefaults: (d) => this.applyDefaults(d),
      modelChanged: (model) => {
        if (!model) return;
        this.nativeSize = model.nativeSize;
        this.sizeMultiple = model.sizeMultiple;
      },
      showError: (err) => this.showError(err),
    });
    this.restore();
    this.token = new TokenField(root, deps, (err) => this.showError(err));
    this.ready = this.token.load();
    this.wire();
    this.showConnection(deps.client.state);
    deps.client.onStateChange((state) => this.showConnection(state));
  }

  /** Re-reads the document state (mode hint); cheap enough to call on focus or a timer. */
  async refreshDocument(): Promise<DocumentInfo | null> {
    const doc = await this.deps.host.activeDocument().catch(() => null);
    const hint = byId(this.root, 'mode-hint');
    hint.textContent = doc ? documentHint(doc, readSettings(this.root, false)) : 'No document open';
    return doc;
  }

  async connect(): Promise<void> {
    this.clearError();
    try {
      await this.ready;
      const welcome = await this.deps.client.connect();
      const settings = this.loadSettings();
      setPickerItems(byId(this.root, 'scheduler'), welcome.capabilities.schedulers, settings.scheduler);
      this.models.fill(welcome, settings.model);
    } catch (err) {
      this.showError(err);
    }
  }

  /** Collects the controls into job settings. */
  settings(): JobSettings {
    return readSettings(this.root, true, this.models.loras);
  }

  /** A model was picked: its defaults go into the controls (the user can still change them). */
  private applyDefaults(d: Partial<Pick<JobSettings, 'steps' | 'guidance' | 'scheduler' | 'customWidth' | 'customHeight'>>): void {
    if (d.steps !== undefined) setText(byId(this.root, 'steps'), String(d.steps));
    if (d.guidance !== undefined) setText(byId(this.root, 'guidance'), String(d.guidance));
    if (d.scheduler !== undefined) setPickerValue(byId(this.root, 'scheduler'), d.scheduler);
    if (d.customWidth !== undefined) setText(byId(this.root, 'custom-width'), String(d.customWidth));
    if (d.customHeight !== undefined) setText(byId(this.root, 'custom-height'), String(d.customHeight));
  }

  async generate(): Promise<void> {
    if (this.abort) return;
    this.clearError();
    let settings: JobSettings;
    try {
      settings = this.settings();
    } catch (err) {
      this.showError(err);
      return;
    }
    this.deps.store.setItem(KEY_SETTINGS, JSON.stringify(settings));
    this.abort = new AbortController();
    this.setRunning(true);
    try {
      if (!settings.model) {
        await this.connect();
        settings.model = pickerValue(byId(this.root, 'model'));
        settings.scheduler = pickerValue(byId(this.root, 'scheduler')) || settings.scheduler;
      }
      const thumbs: JobResult[] = [];
      const outcome = await runJob(this.deps.host, this.deps.client, settings, this.nativeSize, {
        signal: this.abort.signal,
        ...(this.deps.client.welcome ? { maxPixels: this.deps.client.welcome.capabilities.limits.maxPixels } : {}),
        ...(this.sizeMultiple !== undefined ? { sizeMultiple: this.sizeMultiple } : {}),
        onStage: (stage) => this.setProgressLabel(stage === 'reading' ? 'Reading pixels…' : stage === 'generating' ? 'Waiting for the bridge…' : stage === 'pasting' ? 'Adding layers…' : 'Done'),
        events: {
          onQueued: (position) => this.setProgressLabel(position > 0 ? `Queued, ${position} ahead` : 'Queued'),
          onProgress: (step, total) => this.setProgress(step, total),
          onPreview: (_i, rgba, w, h) => void this.showPreview(rgba, w, h),
          onResult: (result) => thumbs.push(result),
        },
      });
      if (!checkedOf(byId(this.root, 'seed-lock')) && outcome.seeds[0] !== undefined) setText(byId(this.root, 'seed'), String(outcome.seeds[0]));
      await this.showResults(outcome.plan.documentId, outcome.layerIds, thumbs);
    } catch (err) {
      this.showError(err);
    } finally {
      this.abort = null;
      this.setRunning(false);
      void this.refreshDocument();
    }
  }

  cancel(): void {
    this.abort?.abort();
    // Straight to the bridge: the job does not have to notice the aborted signal first.
    if (this.abort) this.deps.client.cancelAll();
  }

  /** Thumbnails of the last job; clicking one shows that variant only. */
  renderResults(documentId: number, thumbs: ResultThumb[]): void {
    this.results = { documentId, thumbs, chosen: thumbs[0]?.layerId ?? -1 };
    const strip = byId(this.root, 'results');
    setChildren(
      strip,
      thumbs.map((thumb, i) => {
        const img = this.root.ownerDocument.createElement('img');
        img.src = thumb.url;
        img.style.width = `${thumb.width ?? THUMB_SIDE}px`;
        img.style.height = `${thumb.height ?? THUMB_SIDE}px`;
        img.title = `${thumbs.length > 1 ? `${i + 1} of ${thumbs.length} · ` : ''}Seed ${thumb.seed}`;
        img.className = i === 0 ? 'thumb chosen' : 'thumb';
        img.addEventListener('click', () => void this.choose(thumb.layerId));
        return img;
      }),
    );
  }

  showError(err: unknown): void {
    const plain = plainError(err);
    byId(this.root, 'error-text').textContent = plain.text;
    byId(this.root, 'error-action').textContent = plain.action;
    byId(this.root, 'error-area').hidden = false;
    this.setProgressLabel(plain.code === 'cancelled' ? 'Cancelled' : 'Failed');
  }

  setProgress(step: number, total: number): void {
    const bar = byId(this.root, 'progress');
    const percent = total > 0 ? Math.round((step / total) * 100) : 0;
    (bar as HTMLElement & { value?: number }).value = percent;
    bar.setAttribute('value', String(percent));
    this.setProgressLabel(`Step ${step} of ${total}`);
  }

  async showPreview(rgba: Uint8Array, width: number, height: number): Promise<void> {
    const img = byId(this.root, 'preview') as HTMLImageElement;
    try {
      img.src = await this.deps.host.previewUrl(rgba, width, height);
      // UXP CSS has no object-fit: size the element to the image's aspect.
      const shown = fitBox({ width, height }, PREVIEW_BOX.width, PREVIEW_BOX.height);
      img.style.width = `${shown.width}px`;
      img.style.height = `${shown.height}px`;
      img.hidden = false;
      this.notePreview(null);
    } catch (err) {
      this.notePreview(err);
    }
  }

  /** Preview/thumbnail failures are shown, not swallowed: the job itself goes on. */
  private notePreview(err: unknown): void {
    const note = byId(this.root, 'preview-note');
    note.hidden = err === null;
    note.textContent = err === null ? '' : `Preview unavailable: ${err instanceof Error ? err.message : String(err)}`;
  }

  private async showResults(documentId: number, layerIds: number[], results: JobResult[]): Promise<void> {
    const thumbs: ResultThumb[] = [];
    for (const [i, layerId] of layerIds.entries()) {
      const result = results[i];
      if (!result) continue;
      // The strip shows 56-px thumbnails: encoding 64 full frames would stall the panel.
      const small = fitWithin(result, THUMB_PIXELS);
      const rgba = resizeRgba(result.rgba, result.width, result.height, small.width, small.height);
      let url = '';
      try {
        url = await this.deps.host.previewUrl(rgba, small.width, small.height);
      } catch (err) {
        this.notePreview(err);
      }
      thumbs.push({ layerId, url, seed: result.seed, ...fitBox(small, THUMB_SIDE, THUMB_SIDE) });
    }
    this.renderResults(documentId, thumbs);
  }

  private async choose(layerId: number): Promise<void> {
    if (!this.results) return;
    const { documentId, thumbs } = this.results;
    try {
      await this.deps.host.showOnly(documentId, thumbs.map((t) => t.layerId), layerId);
      this.results.chosen = layerId;
      byId(this.root, 'results').querySelectorAll('img').forEach((img, i) => (img.className = thumbs[i]?.layerId === layerId ? 'thumb chosen' : 'thumb'));
    } catch (err) {
      this.showError(err);
    }
  }

  private async reuseSeed(): Promise<void> {
    const seed = seedFromLayerName(await this.deps.host.activeLayerName().catch(() => null));
    if (seed === null) {
      this.showError(new Error('The active layer has no seed in its name. Select a layer made by latent-bridge.'));
      return;
    }
    setText(byId(this.root, 'seed'), String(seed));
    setChecked(byId(this.root, 'seed-lock'), true);
  }

  /**
   * "More like this": the chosen result's seed (else the active layer's) becomes the main seed,
   * locked, with a fresh variation seed, so the next job explores around that image.
   */
  async moreLikeThis(): Promise<void> {
    const chosen = this.results?.thumbs.find((t) => t.layerId === this.results?.chosen);
    const seed = chosen?.seed ?? seedFromLayerName(await this.deps.host.activeLayerName().catch(() => null));
    if (seed === null) {
      this.showError(new Error('Generate something first, or select a layer made by latent-bridge.'));
      return;
    }
    this.clearError();
    setText(byId(this.root, 'seed'), String(seed));
    setChecked(byId(this.root, 'seed-lock'), true);
    setText(byId(this.root, 'variation-seed'), String(randomSeed()));
    if (readSettings(this.root, false).variationStrength === 0) setText(byId(this.root, 'variation-strength'), String(MORE_LIKE_THIS_STRENGTH));
  }

  private wire(): void {
    const on = (id: string, event: string, handler: () => void) => byId(this.root, id).addEventListener(event, handler);
    on('generate', 'click', () => void this.generate());
    on('cancel', 'click', () => this.cancel());
    on('connect', 'click', () => void this.connect());
    on('refresh-models', 'click', () => void this.connect());
    on('reuse-seed', 'click', () => void this.reuseSeed());
    on('more-like-this', 'click', () => void this.moreLikeThis());
    on('job-kind', 'change', () => {
      this.showJobKind();
      void this.refreshDocument();
    });
    for (const id of ['anim-frames', 'prompt-list']) on(id, 'change', () => void this.refreshDocument());
    on('mode', 'change', () => void this.refreshDocument());
    on('server-url', 'change', () => {
      const url = textOf(byId(this.root, 'server-url')).trim();
      this.deps.store.setItem(KEY_URL, url);
      this.deps.configureClient(url, this.token.value);
    });
    on('token', 'change', () => void this.token.save());
  }

  private restore(): void {
    setText(byId(this.root, 'server-url'), this.deps.store.getItem(KEY_URL) ?? 'ws://127.0.0.1:7450/ws');
    const saved = this.loadSettings();
    restoreSettings(this.root, saved);
    this.models.setLoras(Array.isArray(saved.loras) ? saved.loras : []);
    this.showJobKind();
  }

  /** Shows the controls of the chosen job kind only. */
  private showJobKind(): void {
    const kind = readSettings(this.root, false).jobKind;
    byId(this.root, 'animation-area').hidden = kind !== 'animation';
    byId(this.root, 'prompt-list-area').hidden = kind !== 'prompt-list';
  }

  private loadSettings(): JobSettings {
    try {
      return { ...DEFAULT_SETTINGS, ...(JSON.parse(this.deps.store.getItem(KEY_SETTINGS) ?? '{}') as Partial<JobSettings>) };
    } catch {
      return { ...DEFAULT_SETTINGS };
    }
  }

  private showConnection(state: ConnectionState): void {
    const words = { disconnected: 'Not connected', connecting: 'Connecting…', connected: `Connected · ${this.deps.client.welcome?.server ?? ''}` } as const;
    byId(this.root, 'conn-state').textContent = words[state];
    byId(this.root, 'conn-dot').className = `dot ${state === 'connected' ? 'on' : state === 'connecting' ? 'busy' : 'off'}`;
  }

  setRunning(running: boolean): void {
    setDisabled(byId(this.root, 'generate'), running);
    setDisabled(byId(this.root, 'cancel'), !running);
    if (running) this.setProgress(0, 1);
  }

  private setProgressLabel(text: string): void {
    byId(this.root, 'progress-label').textContent = text;
  }

  private clearError(): void {
    byId(this.root, 'error-area').hidden = true;
  }
}
