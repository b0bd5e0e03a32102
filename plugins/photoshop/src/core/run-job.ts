import { BridgeError, DEFAULT_LIMITS } from '@latent-bridge/shared';
import type { GenerateFields, JobFrames } from '../client/bridge-client.js';
import type { JobEvents, JobResult } from '../client/job-stream.js';
import { sameSize, type Size } from './geometry.js';
import type { HostAdapter, PasteItem, SourceRegion } from './host.js';
import { resultLayerName } from './layer-name.js';
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
  layerIds: number[];
  seeds: number[];
}

/**
 * One job from the panel's point of view. Order matters for Photoshop: read in a short modal
 * scope, talk to the bridge outside any modal scope, check the document is still the same,
 * then paste every result in a second scope as one history state. Any failure or cancel before
 * the paste leaves the document untouched.
 */
export async function runJob(
  host: HostAdapter,
  backend: JobBackend,
  settings: JobSettings,
  nativeSize: number,
  options: { signal?: AbortSignal; events?: JobEvents; onStage?(stage: JobStage): void; /** The bridge's limit (welcome); larger sources are sent shrunk. */ maxPixels?: number } = {},
): Promise<JobOutcome> {
  const plan = planJob(await host.activeDocument(), settings, nativeSize);
  options.onStage?.('reading');
  const source = plan.sendImage || plan.readMask ? await host.readRegion(plan.documentId, plan.region, plan.readMask) : null;
  if (plan.sendMask && source?.mask && source.mask.gray8.every((v) => v === 0)) {
    throw new BridgeError('mask_invalid', 'The selection has no selected pixels inside its bounds.');
  }
  options.signal?.throwIfAborted();

  options.onStage?.('generating');
  const sent = fitWithin(plan.region, options.maxPixels ?? DEFAULT_LIMITS.maxPixels);
  const results = await backend.generate(generateFields(plan, settings), framesFor(plan, source, sent), {
    documentId: plan.documentId,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  if (options.signal?.aborted) throw new BridgeError('cancelled', 'The job was cancelled.');

  const now = await host.documentById(plan.documentId);
  if (!now) throw new BridgeError('document_changed', 'The document was closed while the image was being generated.');
  if (!sameSize(now, plan.docSize)) throw new BridgeError('document_changed', 'The document was resized while the image was being generated.');

  options.onStage?.('pasting');
  const items = results.map((result, i): PasteItem => ({
    rect: plan.region,
    rgba: fitResult(result, plan, sent),
    name: resultLayerName(settings.prompt, result.seed, i, results.length),
    visible: i === 0,
    mask: plan.maskLayers ? (source?.mask ?? null) : null,
  }));
  const layerIds = await host.pasteResults(plan.documentId, plan.docSize, items, plan.historyName);
  options.onStage?.('done');
  return { plan, layerIds, seeds: results.map((r) => r.seed) };
}

function generateFields(plan: JobPlan, s: JobSettings): GenerateFields {
  const fields: GenerateFields = {
    mode: plan.mode,
    model: s.model,
    prompt: s.prompt,
    negative: s.negative,
    steps: s.steps,
    guidance: s.guidance,
    scheduler: s.scheduler,
    batch: s.batch,
    preview: { every: 1 },
  };
  if (s.seed !== null) fields.seed = s.seed;
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

function framesFor(plan: JobPlan, source: SourceRegion | null, sent: Size): JobFrames {
  const frames: JobFrames = {};
  const { width, height } = plan.region;
  if (plan.sendImage && source) frames.image = { rgba: resizeChannels(source.rgba, 4, width, height, sent.width, sent.height), ...sent };
  if (plan.sendMask && source?.mask) frames.mask = { gray: resizeChannels(source.mask.gray8, 1, width, height, sent.width, sent.height), ...sent };
  return frames;
}

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
