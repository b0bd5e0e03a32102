/**
 * Configurable limits. The server announces its own in `welcome`; parsers take them as a
 * parameter so the same code enforces whatever the server was started with.
 */
export interface Limits {
  /** Most pixels (width × height) of a generated image or of any image/mask frame. */
  maxPixels: number;
  /** Most images one generate may ask for. */
  maxBatch: number;
  /** Most denoising steps one generate may ask for. */
  maxSteps: number;
  /** Most UTF-8 bytes of one JSON text message. */
  maxMessageBytes: number;
  /** Most queued or running jobs one client may have at once. */
  maxQueuePerClient: number;
  /** Most characters (Unicode code points) of `prompt` and of `negative`. */
  maxPromptChars: number;
  /** Most bytes of one binary frame, header included. */
  maxFrameBytes: number;
  /** Most client frames a connection may hold that no generate has claimed yet. */
  maxPendingFrames: number;
  /** How long an unclaimed client frame is kept before the server drops it. */
  frameTtlMs: number;
  /** Most results one job may produce: animation frames or prompt-list entries. */
  maxResults: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxPixels: 2048 * 2048,
  maxBatch: 8,
  maxSteps: 150,
  maxMessageBytes: 256 * 1024,
  maxQueuePerClient: 8,
  maxPromptChars: 4000,
  maxFrameBytes: 64 * 1024 * 1024,
  maxPendingFrames: 8,
  frameTtlMs: 60_000,
  maxResults: 64,
});

/** Fills the limits a caller did not set with the defaults. */
export function resolveLimits(limits?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...definedOnly(limits ?? {}) };
}

function definedOnly(limits: Partial<Limits>): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [key, value] of Object.entries(limits) as [keyof Limits, number | undefined][]) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}
