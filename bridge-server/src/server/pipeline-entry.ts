import type { Limits } from '@latent-bridge/shared';
import { generate } from '../pipeline/generate.js';
import type { LoadedModel } from '../pipeline/loaded-model.js';
import type { PipelineLimits } from '../pipeline/params.js';
import type { GenerateResult, RunOptions } from '../pipeline/txt2img.js';
import type { ServerGenerateRequest } from './job-types.js';

/** The one place the server calls into the pipeline: every mode goes through generate(). */
export function runPipeline(model: LoadedModel, request: ServerGenerateRequest, options: RunOptions): Promise<GenerateResult> {
  return generate(model, request, options);
}

/** Pipeline limits from the server's protocol limits; the protocol already bounds each side by 8192. */
export function pipelineLimits(limits: Limits): PipelineLimits {
  return { maxPixels: limits.maxPixels, maxSteps: limits.maxSteps, maxBatch: limits.maxBatch, maxPromptChars: limits.maxPromptChars, maxSide: 8192 };
}
