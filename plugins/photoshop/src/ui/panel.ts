import type { BridgeClient, ConnectionState } from '../client/bridge-client.js';
import type { JobResult } from '../client/job-stream.js';
import type { DocumentInfo, HostAdapter } from '../core/host.js';
import { seedFromLayerName } from '../core/layer-name.js';
import { chooseMode } from '../core/plan.js';
import { plainError } from '../core/plain-words.js';
import { runJob } from '../core/run-job.js';
import { DEFAULT_SETTINGS, type JobSettings, type ModeChoice, type SizeChoice, type Img2ImgScope } from '../core/settings.js';
import { panelMarkup } from './panel-markup.js';
import { byId, checkedOf, numberOf, pickerValue, setChecked, setDisabled, setPickerItems, setPickerValue, setText, textOf } from './widgets.js';

/** Where the panel remembers the address, token and last settings (localStorage in UXP). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface PanelDeps {
  host: HostAdapter;
  client: BridgeClient;
  store: KeyValueStore;
  /** Called with the new address/token so the client reconnects with them. */
  configureClient(url: string, token: string): void;
}

const KEY_URL = 'latent-bridge.url';
const KEY_TOKEN = 'latent-bridge.token';
const KEY_SETTINGS = 'latent-bridge.settings';

const MODE_WORDS = { txt2img: 'Generate a new layer', img2img: 'Image to image', inpaint: 'Inpaint the selection' } as const;

export interface ResultThumb {
  layerId: number;
  url: string;
  seed: number;
}

/** The panel: builds the markup into `root` and wires it to the host and the bridge. */
export class Panel {
  private abort: AbortController | null = null;
  private results: { documentId: number; thumbs: ResultThumb[] } | null = null;
  private nativeSize = 512;

  constructor(private readonly root: HTMLElement, private readonly deps: PanelDeps) {
    root.innerHTML = panelMarkup();
    this.restore();
    this.wire();
    this.showConnection(deps.client.state);
    deps.client.onStateChange((state) => this.showConnection(state));
  }

  /** Re-reads the document state (mode hint); cheap enough to call on focus or a timer. */
  async refreshDocument(): Promise<DocumentInfo | null> {
    const doc = await this.deps.host.activeDocument().catch(() => null);
    const hint = byId(this.root, 'mode-hint');
    if (!doc) hint.textContent = 'No document open';
    else {
      const mode = chooseMode(doc, { mode: this.settings().mode });
      const where = doc.selection ? `selection ${doc.selection.bounds.width}×${doc.selection.bounds.height} at ${doc.selection.bounds.left},${doc.selection.bounds.top}` : `canvas ${doc.width}×${doc.height}`;
      hint.textContent = `${MODE_WORDS[mode]} · ${where} · ${doc.bitDepth}-bit`;
    }
    return doc;
  }

  async connect(): Promise<void> {
    this.clearError();
    try {
      const welcome = await this.deps.client.connect();
      const models = welcome.capabilities.models;
      const settings = this.loadSettings();
      setPickerItems(byId(this.root, 'model'), models.map((m) => m.name), settings.model);
      setPickerItems(byId(this.root, 'scheduler'), welcome.capabilities.schedulers, settings.scheduler);
      this.pickNativeSize();
    } catch (err) {
      this.showError(err);
    }
  }

  /** Collects the controls into job settings. */
  settings(): JobSettings {
    const n = (id: string, fallback: number) => numberOf(byId(this.root, id), fallback);
    const seedText = textOf(byId(this.root, 'seed')).trim();
    return {
      model: pickerValue(byId(this.root, 'model')),
      mode: (pickerValue(byId(this.root, 'mode')) || 'auto') as ModeChoice,
      img2imgScope: (pickerValue(byId(this.root, 'img2img-scope')) || 'selection') as Img2ImgScope,
      prompt: textOf(byId(this.root, 'prompt')),
      negative: textOf(byId(this.root, 'negative')),
      steps: Math.round(n('steps', DEFAULT_SETTINGS.steps)),
      guidance: n('guidance', DEFAULT_SETTINGS.guidance),
      scheduler: pickerValue(byId(this.root, 'scheduler')) || DEFAULT_SETTINGS.scheduler,
      seed: checkedOf(byId(this.root, 'seed-lock')) && seedText !== '' ? Math.round(Number(seedText)) : null,
      strength: n('strength', DEFAULT_SETTINGS.strength),
      batch: Math.max(1, Math.round(n('batch', 1))),
      grow: Math.round(n('grow', 0)),
      feather: Math.max(0, Math.round(n('feather', DEFAULT_SETTINGS.feather))),
      padding: Math.max(0, Math.round(n('padding', DEFAULT_SETTINGS.padding))),
      size: (pickerValue(byId(this.root, 'size')) || 'canvas') as SizeChoice,
      customWidth: Math.round(n('custom-width', 512)),
      customHeight: Math.round(n('custom-height', 512)),
    };
  }

  async generate(): Promise<void> {
    if (this.abort) return;
    this.clearError();
    const settings = this.settings();
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
  }

  /** Thumbnails of the last job; clicking one shows that variant only. */
  renderResults(documentId: number, thumbs: ResultThumb[]): void {
    this.results = { documentId, thumbs };
    const strip = byId(this.root, 'results');
    strip.replaceChildren(
      ...thumbs.map((thumb, i) => {
        const img = this.root.ownerDocument.createElement('img');
        img.src = thumb.url;
        img.title = `Seed ${thumb.seed}`;
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
    const url = await this.deps.host.previewUrl(rgba, width, height).catch(() => null);
    if (url) (byId(this.root, 'preview') as HTMLImageElement).src = url;
  }

  private async showResults(documentId: number, layerIds: number[], results: JobResult[]): Promise<void> {
    const thumbs: ResultThumb[] = [];
    for (const [i, layerId] of layerIds.entries()) {
      const result = results[i];
      if (!result) continue;
      const url = await this.deps.host.previewUrl(result.rgba, result.width, result.height).catch(() => '');
      thumbs.push({ layerId, url, seed: result.seed });
    }
    this.renderResults(documentId, thumbs);
  }

  private async choose(layerId: number): Promise<void> {
    if (!this.results) return;
    const { documentId, thumbs } = this.results;
    try {
      await this.deps.host.showOnly(documentId, thumbs.map((t) => t.layerId), layerId);
      byId(this.root, 'results').querySelectorAll('img').forEach((img, i) => img.classList.toggle('chosen', thumbs[i]?.layerId === layerId));
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

  private wire(): void {
    const on = (id: string, event: string, handler: () => void) => byId(this.root, id).addEventListener(event, handler);
    on('generate', 'click', () => void this.generate());
    on('cancel', 'click', () => this.cancel());
    on('connect', 'click', () => void this.connect());
    on('refresh-models', 'click', () => void this.connect());
    on('reuse-seed', 'click', () => void this.reuseSeed());
    on('mode', 'change', () => void this.refreshDocument());
    on('model', 'change', () => this.pickNativeSize());
    const remember = () => {
      const url = textOf(byId(this.root, 'server-url')).trim();
      const token = textOf(byId(this.root, 'token')).trim();
      this.deps.store.setItem(KEY_URL, url);
      this.deps.store.setItem(KEY_TOKEN, token);
      this.deps.configureClient(url, token);
    };
    on('server-url', 'change', remember);
    on('token', 'change', remember);
  }

  private restore(): void {
    const s = this.loadSettings();
    setText(byId(this.root, 'server-url'), this.deps.store.getItem(KEY_URL) ?? 'ws://127.0.0.1:7450/ws');
    setText(byId(this.root, 'token'), this.deps.store.getItem(KEY_TOKEN) ?? '');
    setPickerValue(byId(this.root, 'mode'), s.mode);
    setPickerValue(byId(this.root, 'img2img-scope'), s.img2imgScope);
    setPickerValue(byId(this.root, 'size'), s.size);
    for (const [id, value] of [
      ['prompt', s.prompt], ['negative', s.negative], ['steps', s.steps], ['guidance', s.guidance], ['strength', s.strength],
      ['batch', s.batch], ['grow', s.grow], ['feather', s.feather], ['padding', s.padding], ['custom-width', s.customWidth],
      ['custom-height', s.customHeight], ['seed', s.seed ?? ''],
    ] as const) setText(byId(this.root, id), String(value));
    setChecked(byId(this.root, 'seed-lock'), s.seed !== null);
  }

  private loadSettings(): JobSettings {
    try {
      return { ...DEFAULT_SETTINGS, ...(JSON.parse(this.deps.store.getItem(KEY_SETTINGS) ?? '{}') as Partial<JobSettings>) };
    } catch {
      return { ...DEFAULT_SETTINGS };
    }
  }

  private pickNativeSize(): void {
    const name = pickerValue(byId(this.root, 'model'));
    const model = this.deps.client.welcome?.capabilities.models.find((m) => m.name === name);
    if (model) this.nativeSize = model.nativeSize;
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
