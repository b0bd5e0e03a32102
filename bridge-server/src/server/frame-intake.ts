import type { RawData } from 'ws';
import {
  CLIENT_FRAME_KINDS,
  decodeFrame,
  decodeFrameHeader,
  FRAME_FIXED_HEADER_BYTES,
  isRawFormat,
  MAX_JOB_ID_LENGTH,
  peekFrameIds,
  type DecodedFrame,
  type FrameLimits,
} from '@latent-bridge/shared';

/**
 * A client's binary message as one decoded, validated image or mask frame; throws frame_invalid.
 * The connection reads binary messages as the fragments they came in, so that a frame sent as
 * two fragments, header then payload (as our own encodeFrameParts makes them), keeps its payload
 * where it landed instead of being joined into a fresh copy (16 MiB for a 2048² RGBA image).
 * Only a raw frame in exactly that layout goes that way: for it decodeFrame checks nothing the
 * header decode and the two lengths do not, so the checks are the same either way. Anything
 * else is joined and decoded as before.
 */
export function decodeClientFrame(data: RawData, limits: FrameLimits): DecodedFrame {
  if (Array.isArray(data) && data.length === 2) {
    const [head, payload] = data as [Buffer, Buffer];
    const split = decodeHeadAndPayload(head, payload, limits);
    if (split !== undefined) return split;
  }
  return decodeFrame(toBuffer(data), limits, CLIENT_FRAME_KINDS);
}

/** The job a binary message that failed to decode names, if its bytes say so plausibly. */
export function clientFrameJobId(data: RawData): string | undefined {
  // peekFrameIds reads no further than the fixed header and a job id of the longest allowed length.
  return peekFrameIds(leadingBytes(data, FRAME_FIXED_HEADER_BYTES + MAX_JOB_ID_LENGTH)).jobId;
}

/** A message's bytes in one piece (a copy only when it came in several fragments). */
export function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return data.length === 1 && data[0] !== undefined ? data[0] : Buffer.concat(data);
  return Buffer.from(data);
}

function decodeHeadAndPayload(head: Buffer, payload: Buffer, limits: FrameLimits): DecodedFrame | undefined {
  let decoded;
  try {
    decoded = decodeFrameHeader(head, limits, CLIENT_FRAME_KINDS);
  } catch {
    return undefined; // decodeFrame on the joined bytes gives the error, exactly as it words it
  }
  const { header, headerLength, payloadLength } = decoded;
  if (head.length !== headerLength || payload.length !== payloadLength || !isRawFormat(header.format)) return undefined;
  return { header, payload };
}

/** Up to `n` leading bytes of a message, joining only as much of its fragments as that takes. */
function leadingBytes(data: RawData, n: number): Buffer {
  if (!Array.isArray(data) || data.length <= 1) return toBuffer(data);
  const parts: Buffer[] = [];
  let length = 0;
  for (const part of data) {
    if (length >= n) break;
    parts.push(part);
    length += part.length;
  }
  return Buffer.concat(parts);
}
