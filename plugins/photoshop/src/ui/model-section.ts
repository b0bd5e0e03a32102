import type { ModelSummary, WelcomeMessage } from '@latent-bridge/shared';
import type { BridgeClient } from '../client/bridge-client.js';
import { checkpointLabel, DEFAULT_LORA_WEIGHT, defaultsFor, embeddingsFor, insertWord, lorasFor, modelInfo, modelLabel, withLora } from '../core/models.js';
import type { LoraChoice } from '../core/settings.js';
import { byId, numberOf, pickerValue, setChildren, setDisabled, setPickerItems, setText, textOf } from './widgets.js';

/** The model part of the panel: picker with family and size, LoRAs, embeddings, checkpoint import. */
export function modelSectionMarkup(): string {
  return `
    <div class="row"><sp-label>Model</sp-label><div class="inline">
      <sp-picker id="model" size="s" label="Model"><sp-menu slot="options"></sp-menu></sp-picker>
      <sp-action-button id="refresh-models" size="s" quiet title="Refresh models">↻</sp-action-button></div></div>
    <sp-body size="xs" id="model-info" class="hint"></sp-body>
    <div id="lora-area" class="sub">
      <sp-label>LoRAs</sp-label>
      <div class="inline"><sp-picker id="lora-pick" size="s" label="LoRA"><sp-menu slot="options"></sp-menu></sp-picker>
        <sp-textfield id="lora-weight" size="s" class="weight" value="${DEFAULT_LORA_WEIGHT}"></sp-textfield>
        <sp-action-button id="lora-add" size="s">Add</sp-action-button></div>
      <div id="lora-list"></div>
    </div>
    <div id="embedding-area" class="sub">
      <sp-label>Embeddings</sp-label>
      <div class="inline"><sp-picker id="embedding-pick" size="s" label="Embedding"><sp-menu slot="options"></sp-menu></sp-picker>
        <sp-action-button id="embedding-prompt" size="s" title="Add to the prompt">+ Prompt</sp-action-button>
        <sp-action-button id="embedding-negative" size="s" title="Add to the negative prompt">+ Negative</sp-action-button></div>
    </div>
    <div id="import-area" class="sub">
      <sp-label>Import a checkpoint from the bridge's checkpoints folder</sp-label>
      <div class="inline"><sp-picker id="checkpoint-pick" size="s" label="Checkpoint"><sp-menu slot="options"></sp-menu></sp-picker>
        <sp-action-button id="import" size="s">Import</sp-action-button></div>
      <sp-textfield id="import-name" size="s" placeholder="Install as (default: file name)"></sp-textfield>
      <sp-progressbar id="import-progress" max="100" value="0" size="s" hidden><sp-label slot="label" id="import-label"></sp-label></sp-progressbar>
      <sp-body size="xs" id="import-state" class="hint"></sp-body>
    </div>`;
}

export interface ModelSectionHooks {
  /** Picking a model changes these fields (the panel writes them into its controls). */
  applyDefaults(defaults: ReturnType<typeof defaultsFor>): void;
  /** The model (native size, size multiple) the next job uses. */
  modelChanged(model: ModelSummary | undefined): void;
  showError(err: unknown): void;
}

/** Controller of modelSectionMarkup(): lists from the bridge's capabilities, LoRA choices, imports. */
export class ModelSection {
  loras: LoraChoice[] = [];
  private welcome: WelcomeMessage | null = null;
  private importing = false;

  constructor(private readonly root: HTMLElement, private readonly client: BridgeClient, private readonly hooks: ModelSectionHooks) {
    const on = (id: string, event: string, handler: () => void) => byId(root, id).addEventListener(event, handler);
    on('model', 'change', () => this.pickModel(true));
    on('lora-add', 'click', () => this.addLora(pickerValue(byId(root, 'lora-pick')), numberOf(byId(root, 'lora-weight'), DEFAULT_LORA_WEIGHT)));
    on('embedding-prompt', 'click', () => this.insertEmbedding('prompt'));
    on('embedding-negative', 'click', () => this.insertEmbedding('negative'));
    on('import', 'click', () => void this.importCheckpoint());
    client.onModels((welcome) => this.fill(welcome, pickerValue(byId(root, 'model'))));
  }

  get model(): ModelSummary | undefined {
    const name = pickerValue(byId(this.root, 'model'));
    return this.welcome?.capabilities.models.find((m) => m.name === name);
  }

  /** Fills every list from the bridge's capabilities, keeping `keepModel` selected when offered. */
  fill(welcome: WelcomeMessage, keepModel: string): void {
    this.welcome = welcome;
    const caps = welcome.capabilities;
    setPickerItems(byId(this.root, 'model'), caps.models.map((m) => ({ value: m.name, label: modelLabel(m) })), keepModel);
    this.pickModel(false);
    const checkpoints = caps.checkpoints ?? [];
    setPickerItems(byId(this.root, 'checkpoint-pick'), checkpoints.map((c) => ({ value: c.name, label: checkpointLabel(c) })), checkpoints.find((c) => !c.imported)?.name ?? '');
    byId(this.root, 'import-area').hidden = checkpoints.length === 0;
  }

  setLoras(loras: readonly LoraChoice[]): void {
    this.loras = loras.map((l) => ({ ...l }));
    this.renderLoras();
  }

  addLora(name: string, weight: number): void {
    if (!name) return;
    this.loras = withLora(this.loras, name, weight);
    this.renderLoras();
  }

  removeLora(name: string): void {
    this.loras = this.loras.filter((l) => l.name !== name);
    this.renderLoras();
  }

  insertEmbedding(target: 'prompt' | 'negative'): void {
    const word = pickerValue(byId(this.root, 'embedding-pick'));
    if (!word) return;
    const field = byId(this.root, target);
    setText(field, insertWord(textOf(field), word));
  }

  /** Starts an import on the bridge and shows its progress; the model list refreshes when done. */
  async importCheckpoint(): Promise<void> {
    const source = pickerValue(byId(this.root, 'checkpoint-pick'));
    if (!source || this.importing) return;
    const name = textOf(byId(this.root, 'import-name')).trim();
    const bar = byId(this.root, 'import-progress');
    const state = byId(this.root, 'import-state');
    this.importing = true;
    setDisabled(byId(this.root, 'import'), true);
    bar.hidden = false;
    setProgress(bar, 0);
    state.textContent = `Importing ${source}…`;
    try {
      const installed = await this.client.importModel(source, name || undefined, {
        events: {
          onQueued: (position) => (state.textContent = position > 0 ? `Import queued, ${position} ahead` : 'Import queued'),
          onProgress: (step, total) => {
            setProgress(bar, total > 0 ? Math.round((step / total) * 100) : 0);
            byId(this.root, 'import-label').textContent = `Writing tensors ${step} of ${total}`;
          },
        },
      });
      setProgress(bar, 100);
      state.textContent = `Imported as ${installed}.`;
      // The bridge pushes the new list to every client; ask as well, for bridges that do not.
      const welcome = this.client.welcome;
      if (welcome && !welcome.capabilities.models.some((m) => m.name === installed)) await this.client.refreshModels().catch(() => undefined);
      if (this.client.welcome) this.fill(this.client.welcome, installed);
      this.hooks.applyDefaults(this.model ? defaultsFor(this.model, this.client.welcome?.capabilities.schedulers ?? []) : {});
    } catch (err) {
      state.textContent = 'Import failed.';
      this.hooks.showError(err);
    } finally {
      this.importing = false;
      setDisabled(byId(this.root, 'import'), false);
      bar.hidden = true;
    }
  }

  /** A model was picked (by the user: `apply` its defaults) or the list was refilled. */
  private pickModel(apply: boolean): void {
    const model = this.model;
    byId(this.root, 'model-info').textContent = model ? modelInfo(model) : '';
    const caps = this.welcome?.capabilities;
    const loras = lorasFor(model, caps?.loras ?? []);
    setPickerItems(byId(this.root, 'lora-pick'), loras.map((l) => ({ value: l.name, label: l.alias && l.alias !== l.name ? `${l.name} (${l.alias})` : l.name })), '');
    byId(this.root, 'lora-area').hidden = loras.length === 0 && this.loras.length === 0;
    const embeddings = embeddingsFor(model, caps?.embeddings ?? []);
    setPickerItems(byId(this.root, 'embedding-pick'), embeddings.map((e) => ({ value: e.name, label: `${e.name} (${e.vectors} token${e.vectors === 1 ? '' : 's'})` })), '');
    byId(this.root, 'embedding-area').hidden = embeddings.length === 0;
    this.hooks.modelChanged(model);
    if (apply && model) this.hooks.applyDefaults(defaultsFor(model, caps?.schedulers ?? []));
  }

  private renderLoras(): void {
    const list = byId(this.root, 'lora-list');
    const doc = this.root.ownerDocument;
    setChildren(
      list,
      this.loras.map((lora) => {
        const row = doc.createElement('div');
        row.className = 'inline lora-row';
        const label = doc.createElement('sp-body');
        label.setAttribute('size', 's');
        label.textContent = lora.name;
        const weight = doc.createElement('sp-textfield');
        weight.setAttribute('size', 's');
        weight.className = 'weight';
        setText(weight, String(lora.weight));
        weight.addEventListener('change', () => this.addLora(lora.name, numberOf(weight, lora.weight)));
        const remove = doc.createElement('sp-action-button');
        remove.setAttribute('size', 's');
        remove.setAttribute('title', `Remove ${lora.name}`);
        remove.textContent = '✕';
        remove.addEventListener('click', () => this.removeLora(lora.name));
        row.appendChild(label);
        row.appendChild(weight);
        row.appendChild(remove);
        return row;
      }),
    );
    if (this.loras.length > 0) byId(this.root, 'lora-area').hidden = false;
  }
}

function setProgress(bar: HTMLElement, percent: number): void {
  (bar as HTMLElement & { value?: number }).value = percent;
  bar.setAttribute('value', String(percent));
}
