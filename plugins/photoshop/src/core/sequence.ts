import { invalidField, type Animation, type PromptEntry } from '@latent-bridge/shared';
import type { JobResult } from '../client/job-stream.js';
import { shortPrompt } from './layer-name.js';
import type { JobSettings } from './settings.js';

/**
 * Animations and prompt lists: one txt2img job whose results (one per frame or entry, in
 * order) become a stack of layers in one group, item 0 at the bottom.
 */
export interface Sequence {
  kind: 'animation' | 'prompt-list';
  /** Results the bridge will send. */
  count: number;
  animation?: Animation;
  prompts?: PromptEntry[];
  groupName: string;
  historyName: string;
  layerName(result: JobResult): string;
}

/** The sequence the settings ask for, or null for an ordinary job. Throws invalid_field on bad input. */
export function sequenceOf(s: JobSettings): Sequence | null {
  if (s.jobKind === 'animation') return animationSequence(s);
  if (s.jobKind === 'prompt-list') return promptListSequence(s);
  return null;
}

/** Non-blank lines, trimmed. */
export function parsePromptList(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
}

function animationSequence(s: JobSettings): Sequence {
  const frames = Math.round(s.animationFrames);
  if (!Number.isFinite(frames) || frames < 2) throw invalidField('animation.frames', 'An animation needs at least 2 frames.');
  if (s.animationChain < 0 || s.animationChain >= 1) throw invalidField('animation.chainStrength', 'Chain strength must be at least 0 and below 1 (0: each frame on its own).');
  const animation: Animation = { frames };
  const toPrompt = s.animationToPrompt.trim();
  if (toPrompt !== '') animation.toPrompt = toPrompt;
  if (s.animationToSeed !== null) animation.toSeed = s.animationToSeed;
  if (s.animationChain > 0) animation.chainStrength = s.animationChain;
  const from = shortPrompt(s.prompt, 40);
  const to = toPrompt === '' ? from : shortPrompt(toPrompt, 40);
  const seeds = s.animationToSeed !== null ? ` · seed ${s.seed ?? 'random'} → ${s.animationToSeed}` : '';
  const names = toPrompt === '' ? `${from}${seeds}` : `${shortPrompt(s.prompt, 24)} → ${shortPrompt(toPrompt, 24)}`;
  return {
    kind: 'animation',
    count: frames,
    animation,
    groupName: `${from === to ? from : `${from} → ${to}`}${seeds} (${frames} frames)`,
    historyName: 'latent-bridge animation',
    layerName: (r) => {
      const t = frames > 1 ? r.index / (frames - 1) : 0;
      return `${names} · frame ${r.index + 1}/${frames} · t ${t.toFixed(2)} · seed ${r.seed}`;
    },
  };
}

function promptListSequence(s: JobSettings): Sequence {
  const lines = parsePromptList(s.promptList);
  if (lines.length === 0) throw invalidField('prompts', 'The prompt list is empty: write one prompt per line.');
  const joined = lines.map((l) => shortPrompt(l, 24)).join(' | ');
  return {
    kind: 'prompt-list',
    count: lines.length,
    prompts: lines.map((prompt) => ({ prompt })),
    groupName: `${shortPrompt(joined, 64)} (${lines.length} prompts)`,
    historyName: 'latent-bridge prompt list',
    layerName: (r) => `${shortPrompt(lines[r.index] ?? '', 48)} · entry ${r.index + 1}/${lines.length} · seed ${r.seed}`,
  };
}
