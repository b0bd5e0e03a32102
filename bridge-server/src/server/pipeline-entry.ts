import { generate } from '../pipeline/generate.js';
import type { LoadedModel } from '../pipeline/loaded-model.js';
import type { GenerateResult, RunOptions } from '../pipeline/txt2img.js';
import type { ServerGenerateRequest } from './job-types.js';

/** The one place the server calls into the pipeline: every mode goes through generate(). */
export function runPipeline(model: LoadedModel, request: ServerGenerateRequest, options: RunOptions): Promise<GenerateResult> {
  return generate(model, request, options);
}
