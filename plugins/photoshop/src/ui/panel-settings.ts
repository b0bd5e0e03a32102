import { DEFAULT_SETTINGS, parseSeed, type LoraChoice, type Img2ImgScope, type JobKind, type JobSettings, type MixMode, type ModeChoice, type SizeChoice } from '../core/settings.js';
import { byId, checkedOf, numberOf, pickerValue, setChecked, setPickerValue, setText, textOf } from './widgets.js';

/** The panel's controls ↔ JobSettings (reading a job's settings, restoring the last ones). */
/**
 * `strict`: a seed that is not a whole number 0 … 2³²−1 throws (a job); otherwise it reads as
 * none (hints, showing the right controls).
 */
export function readSettings(root: ParentNode, strict = true, loras: readonly LoraChoice[] = []): JobSettings {
  const n = (id: string, fallback: number) => numberOf(byId(root, id), fallback);
  const seedOf = (id: string, label: string): number | null => {
    try {
      return parseSeed(textOf(byId(root, id)), id, label);
    } catch (err) {
      if (strict) throw err;
      return null;
    }
  };
  const seed = seedOf('seed', 'Seed');
  return {
    model: pickerValue(byId(root, 'model')),
    mode: (pickerValue(byId(root, 'mode')) || 'auto') as ModeChoice,
    img2imgScope: (pickerValue(byId(root, 'img2img-scope')) || 'selection') as Img2ImgScope,
    prompt: textOf(byId(root, 'prompt')),
    negative: textOf(byId(root, 'negative')),
    steps: Math.round(n('steps', DEFAULT_SETTINGS.steps)),
    guidance: n('guidance', DEFAULT_SETTINGS.guidance),
    scheduler: pickerValue(byId(root, 'scheduler')) || DEFAULT_SETTINGS.scheduler,
    seed: checkedOf(byId(root, 'seed-lock')) ? seed : null,
    strength: n('strength', DEFAULT_SETTINGS.strength),
    batch: Math.max(1, Math.round(n('batch', 1))),
    grow: Math.round(n('grow', 0)),
    feather: Math.max(0, Math.round(n('feather', DEFAULT_SETTINGS.feather))),
    padding: Math.max(0, Math.round(n('padding', DEFAULT_SETTINGS.padding))),
    size: (pickerValue(byId(root, 'size')) || 'canvas') as SizeChoice,
    customWidth: Math.round(n('custom-width', 512)),
    customHeight: Math.round(n('custom-height', 512)),
    variationSeed: seedOf('variation-seed', 'Variation seed'),
    variationStrength: Math.min(1, Math.max(0, n('variation-strength', 0))),
    mixMode: (pickerValue(byId(root, 'mix-mode')) || 'embeddings') as MixMode,
    jobKind: (pickerValue(byId(root, 'job-kind')) || 'single') as JobKind,
    animationFrames: Math.round(n('anim-frames', DEFAULT_SETTINGS.animationFrames)),
    animationToPrompt: textOf(byId(root, 'anim-to-prompt')),
    animationToSeed: seedOf('anim-to-seed', 'To seed'),
    animationChain: Math.min(0.95, Math.max(0, n('anim-chain', 0))),
    promptList: textOf(byId(root, 'prompt-list')),
    loras: loras.map((l) => ({ ...l })),
  };
}

export function restoreSettings(root: ParentNode, s: JobSettings): void {
  setPickerValue(byId(root, 'mode'), s.mode);
  setPickerValue(byId(root, 'img2img-scope'), s.img2imgScope);
  setPickerValue(byId(root, 'size'), s.size);
  setPickerValue(byId(root, 'mix-mode'), s.mixMode);
  setPickerValue(byId(root, 'job-kind'), s.jobKind);
  for (const [id, value] of [
    ['prompt', s.prompt], ['negative', s.negative], ['steps', s.steps], ['guidance', s.guidance], ['strength', s.strength],
    ['batch', s.batch], ['grow', s.grow], ['feather', s.feather], ['padding', s.padding], ['custom-width', s.customWidth],
    ['custom-height', s.customHeight], ['seed', s.seed ?? ''], ['variation-seed', s.variationSeed ?? ''],
    ['variation-strength', s.variationStrength], ['anim-frames', s.animationFrames], ['anim-to-prompt', s.animationToPrompt],
    ['anim-to-seed', s.animationToSeed ?? ''], ['anim-chain', s.animationChain], ['prompt-list', s.promptList],
  ] as const) setText(byId(root, id), String(value));
  setChecked(byId(root, 'seed-lock'), s.seed !== null);
}

/** A whole number 0 … 2^32−1 for a new variation seed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000);
}
