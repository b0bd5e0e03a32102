/**
 * txt2img and img2img on a queue front. The processing (hires fix, tiling, scripts, schedules) is
 * code over local models, so the request travels instead: the front checks what it can, resolves
 * the checkpoint, and hands the body with its settings and styles to a worker holding the model,
 * which runs the same route code and returns the answer whole.
 */
import type { FieldValue } from './fields.js';
import type { A1111State } from './state.js';
import type { PromptStyle } from './styles.js';

/** A1111's answer to txt2img and img2img. */
export interface GenerationResponse {
  images: string[];
  parameters: Record<string, FieldValue>;
  info: string;
}

export interface A1111RemoteRequest {
  route: 'txt2img' | 'img2img';
  body: unknown;
  /** The installed model the request resolved to (its queue). */
  model: string;
  /** The front's settings, defaults included, with sd_model_checkpoint pinned to `model`'s title. */
  settings: Record<string, FieldValue>;
  styles: PromptStyle[];
  keepImages: boolean;
  /** Whose request, for fairness across clients (A1111 clients have no session: their address). */
  client: string;
  /** The front's shared.state: mirrors the worker's while the job runs; /interrupt and /skip reach it. */
  state: A1111State;
  /** Aborted when the HTTP client goes away: the job is cancelled wherever it is. */
  gone: AbortSignal;
  /** The job started on a worker (it no longer waits in the queue). */
  onStarted(): void;
}

/** Runs an A1111 request elsewhere and resolves with the answer, or rejects as the route would. */
export interface A1111Remote {
  run(request: A1111RemoteRequest): Promise<GenerationResponse>;
}
