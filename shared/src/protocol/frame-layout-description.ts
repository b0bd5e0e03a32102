import { JOB_ID_PATTERN, PROTOCOL_VERSION } from './constants.js';
import {
  CLIENT_FRAME_KINDS,
  FRAME_FIELDS,
  FRAME_FIXED_HEADER_BYTES,
  FRAME_FORMAT_CODES,
  FRAME_FORMAT_RULES,
  FRAME_KIND_CODES,
  FRAME_KIND_FORMATS,
  FRAME_MAGIC,
  FRAME_VERSION,
  SERVER_FRAME_KINDS,
} from './frame-layout.js';

/**
 * The order decodeFrame checks things in, with the `field` each failure reports. Another
 * implementation that follows it reports the same field for the same bad frame.
 */
export const FRAME_CHECKS: readonly { field: string; rule: string }[] = [
  { field: 'magic', rule: 'The first min(4, length) bytes equal "LBF1".' },
  { field: 'header', rule: 'At least 32 bytes.' },
  { field: 'version', rule: 'version == 1.' },
  { field: 'jobId', rule: '1 <= jobIdLength <= 64.' },
  { field: 'headerLength', rule: 'headerLength == 32 + jobIdLength.' },
  { field: 'kind', rule: 'kind is a known code (and one the receiver accepts: a server takes image and mask).' },
  { field: 'format', rule: 'format is a known code and allowed for the kind (kindFormats).' },
  { field: 'channels', rule: 'channels allowed for the format (formatRules).' },
  { field: 'bitDepth', rule: 'bitDepth allowed for the format (formatRules).' },
  { field: 'flags', rule: 'flags == 0.' },
  { field: 'width', rule: 'width >= 1.' },
  { field: 'height', rule: 'height >= 1.' },
  { field: 'width', rule: 'width * height <= maxPixels.' },
  { field: 'batchIndex', rule: 'batchIndex == 0 for image and mask.' },
  { field: 'payloadLength', rule: 'Raw formats: payloadLength == width * height * channels * bitDepth / 8.' },
  { field: 'payloadLength', rule: 'payloadLength >= 1.' },
  { field: 'payloadLength', rule: 'headerLength + payloadLength <= maxFrameBytes.' },
  { field: 'header', rule: 'At least headerLength bytes.' },
  { field: 'jobId', rule: 'jobId bytes match the job id pattern.' },
  { field: 'payload', rule: 'Exactly headerLength + payloadLength bytes (fewer: truncated; more: trailing bytes).' },
  { field: 'payload', rule: 'png: PNG signature, IHDR first, IHDR width/height equal the header. jpeg: starts FF D8 FF.' },
];

/** The frame layout as language-neutral data (written to shared/schema/frame-layout.json). */
export function buildFrameLayout(): Record<string, unknown> {
  return {
    title: 'latent-bridge binary frame layout',
    protocol: PROTOCOL_VERSION,
    frameVersion: FRAME_VERSION,
    byteOrder: 'little-endian',
    magic: String.fromCharCode(...FRAME_MAGIC),
    magicBytes: [...FRAME_MAGIC],
    fixedHeaderBytes: FRAME_FIXED_HEADER_BYTES,
    fields: FRAME_FIELDS.map((f) =>
      f.size < 0 ? { ...f, size: undefined, sizeField: 'jobIdLength' } : { ...f },
    ),
    payload: {
      offset: 'headerLength',
      lengthField: 'payloadLength',
      raw: 'Rows top to bottom, pixels left to right, channels interleaved (RGBA or gray), no row padding. 16-bit samples are little-endian, full range 0-65535. Alpha is straight (not premultiplied). Color is sRGB.',
      mask: 'Gray value 255 (or 65535) means regenerate, 0 means keep; values in between blend.',
    },
    jobIdPattern: JOB_ID_PATTERN.source,
    enums: { kind: { ...FRAME_KIND_CODES }, format: { ...FRAME_FORMAT_CODES } },
    kindFormats: FRAME_KIND_FORMATS,
    formatRules: FRAME_FORMAT_RULES,
    clientKinds: CLIENT_FRAME_KINDS,
    serverKinds: SERVER_FRAME_KINDS,
    errorCode: 'frame_invalid',
    checks: FRAME_CHECKS,
  };
}
