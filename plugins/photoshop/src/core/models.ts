import type { ModelSummary, WelcomeMessage } from '@latent-bridge/shared';
import type { JobSettings, LoraChoice } from './settings.js';

type Capabilities = WelcomeMessage['capabilities'];
export type LoraSummary = NonNullable<Capabilities['loras']>[number];
export type EmbeddingSummary = NonNullable<Capabilities['embeddings']>[number];
export type CheckpointSummary = NonNullable<Capabilities['checkpoints']>[number];

const FAMILY_NAMES: Readonly<Record<string, string>> = { sd1: 'SD 1.x', sd2: 'SD 2.x', sdxl: 'SDXL' };

/** Most LoRAs are trained at about weight 1; start a bit below so stacking two stays sane. */
export const DEFAULT_LORA_WEIGHT = 0.8;

/** The model's size as shown: its default size, else its native square. */
export function modelSize(model: ModelSummary): { width: number; height: number } {
  return model.defaults ? { width: model.defaults.width, height: model.defaults.height } : { width: model.nativeSize, height: model.nativeSize };
}

/** "sdxl-base · SDXL · 1024×1024": what the model picker shows for a model. */
export function modelLabel(model: ModelSummary): string {
  const size = modelSize(model);
  const family = model.family ? FAMILY_NAMES[model.family] ?? model.family : null;
  return [model.name, family, `${size.width}×${size.height}`, model.inpainting ? 'inpainting' : null].filter((p) => p !== null).join(' · ');
}

/** A line under the picker: what the model starts with. */
export function modelInfo(model: ModelSummary): string {
  const d = model.defaults;
  const parts = [model.family ? FAMILY_NAMES[model.family] ?? model.family : 'no family', `native ${model.nativeSize}px`];
  if (model.prediction === 'v_prediction') parts.push('v-prediction');
  if (d) parts.push(`starts at ${d.steps} steps, guidance ${d.guidance}, ${d.scheduler}`);
  return parts.join(' · ');
}

/**
 * What picking `model` changes: steps, guidance and scheduler from its defaults (when the
 * bridge offers that scheduler), and the custom size. Nothing for a model without defaults.
 */
export function defaultsFor(model: ModelSummary, schedulers: readonly string[]): Partial<Pick<JobSettings, 'steps' | 'guidance' | 'scheduler' | 'customWidth' | 'customHeight'>> {
  const d = model.defaults;
  if (!d) return { customWidth: model.nativeSize, customHeight: model.nativeSize };
  return {
    steps: d.steps,
    guidance: d.guidance,
    ...(schedulers.includes(d.scheduler) ? { scheduler: d.scheduler } : {}),
    customWidth: d.width,
    customHeight: d.height,
  };
}

/** LoRAs that fit the model: same family, or a family the file does not tell (or a model of none). */
export function lorasFor(model: ModelSummary | undefined, loras: readonly LoraSummary[]): LoraSummary[] {
  return loras.filter((l) => !model?.family || !l.family || l.family === model.family);
}

export function embeddingsFor(model: ModelSummary | undefined, embeddings: readonly EmbeddingSummary[]): EmbeddingSummary[] {
  return embeddings.filter((e) => !model?.family || !e.family || e.family === model.family);
}

/** Adds a LoRA (or changes its weight when already chosen); weights clamp to the protocol's −10..10. */
export function withLora(list: readonly LoraChoice[], name: string, weight: number): LoraChoice[] {
  const w = Math.max(-10, Math.min(10, Number.isFinite(weight) ? weight : DEFAULT_LORA_WEIGHT));
  const at = list.findIndex((l) => l.name === name);
  if (at >= 0) return list.map((l, i) => (i === at ? { name, weight: w } : l));
  return [...list, { name, weight: w }].slice(0, 16);
}

/** The prompt with an embedding's trigger word appended (comma-separated, as A1111 users write). */
export function insertWord(prompt: string, word: string): string {
  const t = prompt.trimEnd();
  if (t === '') return word;
  return /[,(]$/.test(t) ? `${t} ${word}` : `${t}, ${word}`;
}

/** Checkpoints to offer for import: not imported yet first; sizes in words. */
export function checkpointLabel(c: CheckpointSummary): string {
  const gb = c.bytes / 1e9;
  const size = gb >= 1 ? `${gb.toFixed(1)} GB` : `${Math.round(c.bytes / 1e6)} MB`;
  return c.imported ? `${c.name} · ${size} · imported as ${c.imported}` : `${c.name} · ${size}`;
}
