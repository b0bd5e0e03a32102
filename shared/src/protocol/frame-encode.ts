import { BridgeError } from '../errors.js';
import { JOB_ID_PATTERN } from './constants.js';
import { decodeFrameHeader } from './frame-decode.js';
import { checkEncodedPayload } from './frame-payload-check.js';
import {
  FRAME_FIXED_HEADER_BYTES,
  FRAME_FORMAT_CODES,
  FRAME_KIND_CODES,
  FRAME_MAGIC,
  FRAME_OFFSETS as AT,
  FRAME_VERSION,
  type FrameHeader,
} from './frame-layout.js';

const NO_LIMITS = { maxPixels: Number.POSITIVE_INFINITY, maxFrameBytes: Number.POSITIVE_INFINITY };

/**
 * Builds one binary frame. The result is checked with decodeFrame (without size limits), so
 * this never produces a frame the other side would reject as malformed; it throws
 * BridgeError('frame_invalid') instead.
 */
export function encodeFrame(header: FrameHeader, payload: Uint8Array): Uint8Array {
  const parts = encodeFrameParts(header, payload);
  const bytes = new Uint8Array(parts.head.length + payload.length);
  bytes.set(parts.head, 0);
  bytes.set(payload, parts.head.length);
  return bytes;
}

/**
 * The same frame as encodeFrame as two parts, header bytes and the payload itself, so that a
 * large payload is never copied: a WebSocket sender writes them as two fragments of one message
 * (the receiver sees one binary message, the frame encodeFrame would have built).
 */
export function encodeFrameParts(header: FrameHeader, payload: Uint8Array): { head: Uint8Array; payload: Uint8Array } {
  const kindCode = FRAME_KIND_CODES[header.kind] as number | undefined;
  if (kindCode === undefined) throw bad('kind', `unknown frame kind ${String(header.kind)}`);
  const formatCode = FRAME_FORMAT_CODES[header.format] as number | undefined;
  if (formatCode === undefined) throw bad('format', `unknown frame format ${String(header.format)}`);
  if (typeof header.jobId !== 'string' || !JOB_ID_PATTERN.test(header.jobId)) {
    throw bad('jobId', 'job id must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  }
  checkUint('channels', header.channels, 0xff);
  checkUint('bitDepth', header.bitDepth, 0xff);
  checkUint('frameId', header.frameId, 0xffff_ffff);
  checkUint('width', header.width, 0xffff_ffff);
  checkUint('height', header.height, 0xffff_ffff);
  checkUint('batchIndex', header.batchIndex, 0xffff);
  checkUint('payloadLength', payload.length, 0xffff_ffff);

  const headerLength = FRAME_FIXED_HEADER_BYTES + header.jobId.length;
  const head = new Uint8Array(headerLength);
  const view = new DataView(head.buffer);
  head.set(FRAME_MAGIC, AT.magic);
  view.setUint16(AT.headerLength, headerLength, true);
  view.setUint8(AT.version, FRAME_VERSION);
  view.setUint8(AT.kind, kindCode);
  view.setUint8(AT.format, formatCode);
  view.setUint8(AT.channels, header.channels);
  view.setUint8(AT.bitDepth, header.bitDepth);
  view.setUint8(AT.flags, 0);
  view.setUint32(AT.frameId, header.frameId, true);
  view.setUint32(AT.width, header.width, true);
  view.setUint32(AT.height, header.height, true);
  view.setUint32(AT.payloadLength, payload.length, true);
  view.setUint16(AT.batchIndex, header.batchIndex, true);
  view.setUint16(AT.jobIdLength, header.jobId.length, true);
  for (let i = 0; i < header.jobId.length; i++) head[AT.jobId + i] = header.jobId.charCodeAt(i);
  const decoded = decodeFrameHeader(head, NO_LIMITS);
  if (decoded.payloadLength !== payload.length) throw bad('payloadLength', 'payload length disagrees with the header');
  checkEncodedPayload(decoded.header, payload);
  return { head, payload };
}

function checkUint(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw bad(field, `${String(value)} does not fit the field (0 to ${max})`);
}

function bad(field: string, message: string): BridgeError {
  return new BridgeError('frame_invalid', `Frame ${field}: ${message}.`, field);
}
