import type { Limits } from '@latent-bridge/shared';

/**
 * The largest A1111 request body taken: four frames' worth of images in base64 and the fields
 * around them. A queue front stores bodies and answers in Redis under the same bound.
 */
export function a1111BodyLimit(limits: Limits): number {
  return Math.ceil((limits.maxFrameBytes * 4) / 3) * 4 + limits.maxMessageBytes;
}
