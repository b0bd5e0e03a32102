/**
 * Which conditioning each sampler step runs with: A1111's prompt editing, alternation and AND
 * composition resolved step by step, the texts re-written in our prompt syntax, consecutive steps
 * with the same texts grouped into segments, each encoded once per job.
 */
import { encodeConditioning, type Conditioning } from '../../pipeline/conditioning.js';
import type { LoadedModel } from '../../pipeline/loaded-model.js';
import { TextStack } from '../../pipeline/text-stack.js';
import { httpException } from '../errors.js';
import { toBridgeSyntax } from '../prompt-attention.js';
import { promptSchedule, scheduledText, splitAnd, type PromptSchedule, type ScheduleSteps } from '../prompt-schedule.js';

export interface CondSegment {
  /** Sampler steps [from, to), 0-based over the steps this pass runs. */
  from: number;
  to: number;
  /** Our syntax: one prompt, or an AND composition as a 'noise' mix "a :w | b :w". */
  prompt: string;
  negative: string;
  /** cfg_scale times the sum of the AND weights (our mix normalizes its weights). */
  guidance: number;
  mixMode: 'embeddings' | 'noise';
}

/**
 * Segments for `count` sampler steps. `at` is what A1111 resolves "when" against: the requested
 * steps (× 2 for second-order samplers, whose every model call is a step to A1111's denoiser),
 * and for a hires pass the first pass's steps.
 */
export function planConditioning(prompt: string, negative: string, cfg: number, count: number, at: ScheduleSteps): CondSegment[] {
  const parts = splitAnd(prompt);
  const total = parts.reduce((s, p) => s + p.weight, 0);
  if (parts.length > 1 && !(total > 0)) {
    throw httpException(422, `AND weights add up to ${total}; this server composes prompts whose weights add up to more than 0`);
  }
  const partSchedules: PromptSchedule[] = parts.map((p) => promptSchedule(p.text, at));
  const negSchedule = promptSchedule(negative, at);
  const mixed = parts.length > 1;
  const guidance = cfg * (mixed ? total : (parts[0]?.weight ?? 1));
  const segments: CondSegment[] = [];
  for (let step = 0; step < count; step++) {
    const texts = partSchedules.map((s) => toBridgeSyntax(scheduledText(s, step)));
    const p = mixed ? texts.map((t, i) => `${t} :${parts[i]?.weight ?? 1}`).join(' | ') : (texts[0] ?? '');
    const n = toBridgeSyntax(scheduledText(negSchedule, step));
    const last = segments[segments.length - 1];
    if (last !== undefined && last.prompt === p && last.negative === n) last.to = step + 1;
    else segments.push({ from: step, to: step + 1, prompt: p, negative: n, guidance, mixMode: mixed ? 'noise' : 'embeddings' });
  }
  return segments;
}

/** Encodes each distinct (prompt, negative) once per job. */
export class ConditioningCache {
  private readonly cache = new Map<string, Promise<Conditioning>>();

  private stack: Promise<TextStack> | undefined;

  constructor(private readonly model: LoadedModel) {}

  get(segment: CondSegment): Promise<Conditioning> {
    // Guidance 1 without a mix needs no negative: u + 1·(c − u) = c.
    const withNegative = segment.mixMode === 'noise' || segment.guidance !== 1;
    const key = `${segment.mixMode}\u0000${withNegative}\u0000${segment.prompt}\u0000${segment.negative}`;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      this.stack ??= TextStack.of(this.model);
      hit = this.stack.then((stack) =>
        encodeConditioning(stack, { prompt: segment.prompt, negative: segment.negative, longPrompt: 'chunk', mixMode: segment.mixMode }, withNegative),
      );
      this.cache.set(key, hit);
      hit.catch(() => this.cache.delete(key));
    }
    return hit;
  }
}
