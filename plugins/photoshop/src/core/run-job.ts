import { BridgeError, DEFAULT_LIMITS } from '@latent-bridge/shared';
import type { GenerateFields, JobFrames } from '../client/bridge-client.js';
import type { JobEvents, JobResult } from '../client/job-stream.js';
import { sameSize, type Size } from './geometry.js';
import type { HostAdapter, PasteItem, SelectionMask, SourceRegion } from './host.js';
import { resultLayerName } from './layer-name.js';
import { sequenceOf, type Sequence } from './sequence.js';
import { fitWithin, resizeChannels, resizeRgba } from './pixels.js';
import { planJob, type JobPlan } from './plan.js';
import type { JobSettings } from './settings.js';

/** The bridge side of a job (BridgeClient implements it). */
export interface JobBackend {
  generate(fields: GenerateFields, frames: JobFrames, options: { documentId: number; signal?: AbortSignal; events?: JobEvents }): Promise<JobResult[]>;
}

export type JobStage = 'reading' | 'generating' | 'pasting' | 'done';

export interface JobOutcome {
  plan: JobPlan;
  /** In result order (for a stack: bottom of the group first). */
  layerIds: number[];
  seeds: number[];
  /** The group of an animation or prompt list; null for other jobs. */
  groupId: number | null;
}

/**
 * One job from the panel's point of view. Order matters for Photoshop: read in a short modal
 * scope, talk to the bridge outside any modal scope, check the document is still the same,
 * then paste every result in a second scope as one history state. Any failure or cancel before
 * the paste leaves the document untouched. Animations and prompt lists stream one result per
 * frame or entry; they are pasted, after the last one, as a layer stack in a new group.
 */
export async function runJob(
  host: HostAdapter,
  backend: JobBackend,
  settings: JobSettings,
  nativeSize: number,
  options: {
    signal?: AbortSignal;
    events?: JobEvents;
    onStage?(stage: JobStage): void;
    /** The bridge's limit (welcome); larger sources are sent shrunk. */
    maxPixels?: number;
    /** The model's sizeMultiple (welcome); generation sizes are multiples of it. Default 8. */
    sizeMultiple?: number;
  } = {},
): Promise<JobOutcome> {
  const sequence = sequenceOf(settings);
  const plan = planJob(await host.activeDocument(), settings, nativeSize, options.sizeMultiple);
  options.onStage?.('reading');
  const sent = fitWithin(plan.region, Math.min(options.maxPixels ?? DEFAULT_LIMITS.maxPixels, SEND_MAX_PIXELS));
  // Pixels are read only when they are sent: txt2img into a selection reads the selection
  // alone (getPixels on an empty or transparent area fails). A region larger than what is
  // sent is read at the sent size straight away (getPixels targetSize).
  let source: SourceRegion | null = null;
  let mask: SelectionMask | null = null;
  if (plan.sendImage) {
    source = await host.readRegion(plan.documentId, plan.region, plan.readMask, sent);
    mask = source.mask;
  } else if (plan.readMask) {
    mask = await host.readSelectionMask(plan.documentId, plan.region);
  }
  if (plan.sendMask && mask && mask.gray8.every((v) => v === 0)) {
    throw new BridgeError('mask_invalid', 'The selection has no selected pixels inside its bounds.');
  }
  options.signal?.throwIfAborted();

  options.onStage?.('generating');
  const results = await backend.generate(generateFields(plan, settings, sequence), framesFor(plan, source, mask, sent), {
    documentId: plan.documentId,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  if (options.signal?.aborted) throw new BridgeError('cancelled', 'The job was cancelled.');
  if (sequence && (results.length !== sequence.count || results.some((r, i) => r.index !== i))) {
    throw new BridgeError('frame_missing', `The bridge server sent ${results.length} results for ${sequence.count} ${sequence.kind === 'animation' ? 'frames' : 'prompts'}.`);
  }

  const now = await host.documentById(plan.documentId);
  if (!now) throw new BridgeError('document_changed', 'The document was closed while the image was being generated.');
  if (!sameSize(now, plan.docSize)) throw new BridgeError('document_changed', 'The document was resized while the image was being generated.');

  options.onStage?.('pasting');
  const items = results.map((result, i): PasteItem => ({
    rect: plan.region,
    rgba: fitResult(result, plan, sent),
    name: sequence ? sequence.layerName(result) : resultLayerName(settings.prompt, result.seed, i, results.length),
    visible: i === 0,
    mask: plan.maskLayers ? mask : null,
  }));
  const seeds = results.map((r) => r.seed);
  if (sequence) {
    const stack = await host.pasteStack(plan.documentId, plan.docSize, items, sequence.historyName, sequence.groupName);
    options.onStage?.('done');
    return { plan, layerIds: stack.layerIds, seeds, groupId: stack.groupId };
  }
  const layerIds = await host.pasteResults(plan.documentId, plan.docSize, items, plan.historyName);
  options.onStage?.('done');
  return { plan, layerIds, seeds, groupId: null };
}

function generateFields(plan: JobPlan, s: JobSettings, sequence: Sequence | null): GenerateFields {
  const fields: GenerateFields = {
    mode: plan.mode,
    model: s.model,
    // A prompt list carries its prompts in its entries.
    prompt: sequence?.kind === 'prompt-list' ? '' : s.prompt,
    negative: s.negative,
    steps: s.steps,
    guidance: s.guidance,
    scheduler: s.scheduler,
    batch: sequence ? 1 : s.batch,
    preview: { every: 1 },
    mixMode: s.mixMode,
  };
  if (s.seed !== null) fields.seed = s.seed;
  if (s.loras.length > 0) fields.loras = s.loras.map((l) => ({ name: l.name, weight: l.weight }));
  // An animation moves between seeds with toSeed instead.
  if (s.variationSeed !== null && s.variationStrength > 0 && sequence?.kind !== 'animation') {
    fields.variation = { seed: s.variationSeed, strength: s.variationStrength };
  }
  if (sequence?.animation) fields.animation = sequence.animation;
  if (sequence?.prompts) fields.prompts = sequence.prompts;
  if (plan.generateSize) {
    fields.width = plan.generateSize.width;
    fields.height = plan.generateSize.height;
  }
  if (plan.mode !== 'txt2img') fields.strength = s.strength;
  if (plan.mode === 'inpaint') {
    fields.grow = s.grow;
    fields.feather = s.feather;
    fields.padding = s.padding;
  }
  return fields;
}

function framesFor(plan: JobPlan, source: SourceRegion | null, mask: SelectionMask | null, sent: Size): JobFrames {
  const frames: JobFrames = {};
  const { width, height } = plan.region;
  if (plan.sendImage && source) {
    const rgba = sameSize(source.size, sent) ? source.rgba : resizeChannels(source.rgba, 4, source.size.width, source.size.height, sent.width, sent.height);
    frames.image = { rgba, ...sent };
  }
  if (plan.sendMask && mask) frames.mask = { gray: resizeChannels(mask.gray8, 1, width, height, sent.width, sent.height), ...sent };
  return frames;
}

/**
 * Largest source frame the panel sends: 2 MP, an 8 MiB RGBA frame. UXP documents no send-buffer
 * or frame-size limit for its WebSocket, so the client stays well under the 16 MB frames that
 * were reported to stall; the bridge works at the model's size (≤ 1024² for SDXL) anyway and
 * results are scaled back to the region.
 */
export const SEND_MAX_PIXELS = 2 * 1024 * 1024;

/**
 * Results are pasted over the region. img2img/inpaint ones come back at the size of the source
 * frame (the region, or the region shrunk to the bridge's pixel limit); txt2img ones at the size
 * generated. Either way they are scaled to the region here.
 */
function fitResult(result: JobResult, plan: JobPlan, sent: Size): Uint8Array {
  const { width, height } = plan.region;
  if (plan.mode !== 'txt2img' && (result.width !== sent.width || result.height !== sent.height)) {
    throw new BridgeError('image_invalid', `The bridge server answered ${result.width}×${result.height} for a ${sent.width}×${sent.height} source.`);
  }
  return resizeRgba(result.rgba, result.width, result.height, width, height);
}
