import { BridgeError, toBridgeError, type ErrorCode } from '@latent-bridge/shared';

/** An error as the panel shows it: what happened, and what to do about it. */
export interface PlainError {
  code: ErrorCode;
  text: string;
  action: string;
}

// Messages already written for people (host checks, document_changed) keep their own text.
const OWN_WORDS: ReadonlySet<ErrorCode> = new Set(['host_unsupported', 'document_changed']);

const ACTIONS: Partial<Record<ErrorCode, string>> = {
  bridge_unreachable: 'Start it with "latent-bridge serve" (or check the address), then press Generate again.',
  unauthorized: 'Copy the token printed by "latent-bridge token" into the Token field.',
  protocol_version: 'Update the plug-in or the bridge server so both are the same version.',
  model_not_found: 'Pick a model from the list (press Refresh if the list is old).',
  model_invalid: 'Re-download or re-convert the model on the bridge machine.',
  model_load_failed: 'Check the bridge server log; the model files may be damaged or too large for memory.',
  execution_provider_unavailable: 'Start the bridge server with --provider cpu.',
  inference_failed: 'Try fewer pixels, a smaller batch or another model; the bridge server log has details.',
  limit_exceeded: 'Use a smaller selection, fewer steps, a smaller batch, or fewer frames or prompts.',
  queue_full: 'Wait for your other jobs to finish.',
  shutting_down: 'Wait for the bridge server to restart, then press Generate again.',
  unknown_scheduler: 'Pick a scheduler from the list.',
  prompt_syntax: 'Check brackets and weights like (word:1.2) in the prompt.',
  mask_invalid: 'Make sure some pixels are selected.',
  cancelled: 'Nothing was added to the document.',
};

const TEXTS: Partial<Record<ErrorCode, string>> = {
  bridge_unreachable: 'The bridge server cannot be reached.',
  unauthorized: 'The bridge server refused the token.',
  cancelled: 'Cancelled.',
  shutting_down: 'The bridge server is shutting down.',
};

export function plainError(err: unknown): PlainError {
  const e: BridgeError = toBridgeError(err);
  const text = OWN_WORDS.has(e.code) ? e.message : (TEXTS[e.code] ?? e.message);
  const action = ACTIONS[e.code] ?? (e.code === 'document_changed' ? 'Nothing was added. Keep the document open and unchanged while a job runs.' : OWN_WORDS.has(e.code) ? '' : 'If it happens again, the bridge server log has details.');
  return { code: e.code, text, action };
}
