/**
 * Turns the sequence fields of a generate (animation, prompts) into a JobSequence, checking
 * everything the pipeline would check so a bad frame count or entry fails before the job waits
 * in the queue, with the protocol's field name (animation.toPrompt, prompts.2.prompt).
 */
import { BridgeError, type GenerateMessage, type Limits, type PromptEntry } from '@latent-bridge/shared';
import type { ModelInfo } from '../models/index.js';
import { resolveAnimation } from '../pipeline/animate.js';
import { resolveCreativeParams } from '../pipeline/creative-params.js';
import { resolveParams, type GenerateParams } from '../pipeline/params.js';
import type { JobSequence, ServerGenerateRequest } from './job-types.js';
import { pipelineLimits } from './pipeline-entry.js';

/** The same error under the protocol's name for the field, e.g. toPrompt → animation.toPrompt. */
export function renamedField(err: unknown, rename: (field: string) => string | undefined): unknown {
  if (!(err instanceof BridgeError) || err.field === undefined) return err;
  const to = rename(err.field);
  if (to === undefined) return err;
  const from = err.field;
  const message = err.message.startsWith(`${from}:`) ? `${to}${err.message.slice(from.length)}` : `${to}: ${err.message}`;
  return new BridgeError(err.code, message, to);
}

/** Prompt syntax, mixMode and variation of the job itself, for every mode. */
export function checkCreativeFields(request: ServerGenerateRequest): void {
  resolveCreativeParams(request);
}

const ANIMATION_FIELDS = new Set(['frames', 'toPrompt', 'toSeed', 'chainStrength']);
const ENTRY_FIELDS = new Set(['prompt', 'negative', 'seed', 'steps', 'guidance', 'scheduler']);

/**
 * The job's sequence, validated against the model; animations get their seed fixed here so the
 * runner's parameters text and the pipeline agree on a random one.
 */
export function prepareSequence(
  msg: GenerateMessage,
  request: ServerGenerateRequest,
  model: ModelInfo,
  limits: Limits,
  checkScheduler: (name: string, field: string) => void,
): JobSequence | undefined {
  const plimits = pipelineLimits(limits);
  if (msg.animation !== undefined) {
    const { frames, toPrompt, toSeed, chainStrength } = msg.animation;
    const sequence: JobSequence = {
      kind: 'animation',
      frames,
      ...(toPrompt !== undefined ? { toPrompt } : {}),
      ...(toSeed !== undefined ? { toSeed } : {}),
      ...(chainStrength !== undefined ? { chainStrength } : {}),
    };
    try {
      const resolved = resolveAnimation({ ...request, frames, toPrompt, toSeed, chainStrength }, model.nativeSize, plimits);
      request.seed = resolved.params.seed;
    } catch (err) {
      throw renamedField(err, (f) => (ANIMATION_FIELDS.has(f) ? `animation.${f}` : undefined));
    }
    return sequence;
  }
  if (msg.prompts !== undefined) {
    // Every entry is checked before any runs: a typo in the last one must not cost the others' time.
    msg.prompts.forEach((entry, i) => {
      const own = new Set(Object.keys(entry));
      const rename = (f: string) => (ENTRY_FIELDS.has(f) && own.has(f) ? `prompts.${i}.${f}` : undefined);
      try {
        if (entry.scheduler !== undefined) checkScheduler(entry.scheduler, 'scheduler');
        resolveParams(entryParams(request, entry), model.nativeSize, plimits);
      } catch (err) {
        throw renamedField(err, rename);
      }
    });
    return { kind: 'prompts', entries: msg.prompts };
  }
  return undefined;
}

/** The job fields a prompt-list entry inherits. */
const JOB_DEFAULTS = ['negative', 'steps', 'guidance', 'scheduler', 'seed', 'width', 'height', 'seedMode', 'longPrompt', 'variation', 'mixMode'] as const;

/** One prompt-list entry over the job's fields (absent entry fields come from the job). */
export function entryParams(request: ServerGenerateRequest, entry: PromptEntry): GenerateParams {
  const job: Omit<GenerateParams, 'prompt'> = {};
  for (const key of JOB_DEFAULTS) if (request[key] !== undefined) Object.assign(job, { [key]: request[key] });
  const own = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as Partial<GenerateParams>;
  return { ...job, ...own, prompt: entry.prompt, batch: 1 };
}
