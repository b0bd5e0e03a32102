import { modelSectionMarkup } from './model-section.js';

/**
 * The panel's markup: Spectrum UXP widgets (sp-*), one column so it stays usable at the
 * manifest's minimum width. Element ids are the controller's handles.
 */
function field(id: string, label: string, value: string, extra = ''): string {
  return `<div class="row"><sp-label for="${id}">${label}</sp-label><sp-textfield id="${id}" size="s" value="${value}" ${extra}></sp-textfield></div>`;
}

function picker(id: string, label: string, items: readonly (readonly [string, string])[]): string {
  const options = items.map(([value, text]) => `<sp-menu-item value="${value}">${text}</sp-menu-item>`).join('');
  return `<div class="row"><sp-label>${label}</sp-label><sp-picker id="${id}" size="s" label="${label}"><sp-menu slot="options">${options}</sp-menu></sp-picker></div>`;
}

function slider(id: string, label: string, min: number, max: number, step: number, value: number): string {
  return `<sp-slider id="${id}" min="${min}" max="${max}" step="${step}" value="${value}" show-value><sp-label slot="label">${label}</sp-label></sp-slider>`;
}

export const MODE_ITEMS = [
  ['auto', 'Auto'],
  ['txt2img', 'Generate'],
  ['img2img', 'Image to image'],
  ['inpaint', 'Inpaint selection'],
] as const;

export const SIZE_ITEMS = [
  ['canvas', 'Canvas size'],
  ['custom', 'Custom size'],
] as const;

export const SCOPE_ITEMS = [
  ['selection', 'On the selection'],
  ['canvas', 'On the whole canvas'],
] as const;

export const MIX_ITEMS = [
  ['embeddings', 'Blend text embeddings'],
  ['noise', 'Combine noise predictions'],
] as const;

export const JOB_KIND_ITEMS = [
  ['single', 'Images (batch)'],
  ['animation', 'Animation → layer stack'],
  ['prompt-list', 'Prompt list → layer stack'],
] as const;

function textarea(id: string, label: string, placeholder: string): string {
  return `<div class="row"><sp-label for="${id}">${label}</sp-label><sp-textarea id="${id}" placeholder="${placeholder}"></sp-textarea></div>`;
}

export function panelMarkup(): string {
  return `
<div class="lb-panel">
  <section class="group" id="connection">
    <div class="status-line"><span id="conn-dot" class="dot off"></span><sp-body size="s" id="conn-state">Not connected</sp-body>
      <sp-action-button id="connect" size="s">Connect</sp-action-button></div>
    ${field('server-url', 'Bridge address', 'ws://127.0.0.1:7450/ws')}
    ${field('token', 'Token', '', 'placeholder="latent-bridge token"')}
  </section>
  <section class="group">
    ${modelSectionMarkup()}
    ${picker('mode', 'Mode', MODE_ITEMS)}
    <sp-body size="xs" id="mode-hint" class="hint">No document open</sp-body>
    ${picker('img2img-scope', 'Image to image', SCOPE_ITEMS)}
    <div class="row">${picker('size', 'Size without selection', SIZE_ITEMS)}</div>
    <div class="pair">${field('custom-width', 'Width', '512', 'type="number"')}${field('custom-height', 'Height', '512', 'type="number"')}</div>
  </section>
  <section class="group">
    ${textarea('prompt', 'Prompt', 'What to paint; mix with a :0.7 | b :0.3')}
    ${textarea('negative', 'Negative prompt', 'What to avoid')}
    ${picker('mix-mode', 'Mixing a | b', MIX_ITEMS)}
    <div class="pair">${field('steps', 'Steps', '20', 'type="number"')}${field('guidance', 'Guidance', '7', 'type="number"')}</div>
    ${picker('scheduler', 'Scheduler', [])}
    <div class="row"><sp-label for="seed">Seed</sp-label><div class="inline">
      <sp-textfield id="seed" size="s" placeholder="random"></sp-textfield>
      <sp-checkbox id="seed-lock" size="s">Lock</sp-checkbox></div>
      <sp-action-button id="reuse-seed" size="s">Reuse seed of this layer</sp-action-button></div>
    <div class="pair">${field('variation-seed', 'Variation seed', '', 'placeholder="none"')}
      <div class="row">${slider('variation-strength', 'Variation strength', 0, 1, 0.05, 0)}</div></div>
    <sp-action-button id="more-like-this" size="s" title="The chosen result's seed with a new variation seed">More like this</sp-action-button>
    ${slider('strength', 'Strength', 0, 1, 0.05, 0.75)}
    ${field('batch', 'Batch count', '1', 'type="number"')}
  </section>
  <section class="group" id="job-area">
    ${picker('job-kind', 'Job', JOB_KIND_ITEMS)}
    <div id="animation-area" class="sub" hidden>
      <sp-detail>Animation</sp-detail>
      ${textarea('anim-to-prompt', 'To prompt', 'Last frame (empty: same prompt)')}
      <div class="pair">${field('anim-frames', 'Frames', '8', 'type="number"')}${field('anim-to-seed', 'To seed', '', 'placeholder="same seed"')}</div>
      ${slider('anim-chain', 'Chain strength (0: off)', 0, 0.95, 0.05, 0)}
    </div>
    <div id="prompt-list-area" class="sub" hidden>
      <sp-detail>Prompt list</sp-detail>
      ${textarea('prompt-list', 'Prompts, one per line', 'a red door\na blue door')}
    </div>
  </section>
  <section class="group">
    <sp-detail>Mask</sp-detail>
    <div class="triple">${field('grow', 'Grow', '0', 'type="number"')}${field('feather', 'Feather', '8', 'type="number"')}${field('padding', 'Context', '32', 'type="number"')}</div>
  </section>
  <section class="group actions">
    <sp-button id="generate" variant="cta">Generate</sp-button>
    <sp-button id="cancel" variant="secondary" disabled>Cancel</sp-button>
  </section>
  <section class="group" id="progress-area">
    <sp-progressbar id="progress" max="100" value="0" size="s"><sp-label slot="label" id="progress-label">Idle</sp-label></sp-progressbar>
    <img id="preview" class="preview" alt="Live preview" hidden />
    <sp-body size="xs" id="preview-note" class="preview-note" hidden></sp-body>
  </section>
  <section class="group" id="error-area" hidden>
    <sp-body size="s" id="error-text" class="error"></sp-body>
    <sp-body size="xs" id="error-action"></sp-body>
  </section>
  <section class="group">
    <sp-detail>Results</sp-detail>
    <div id="results" class="results"></div>
  </section>
</div>`;
}
