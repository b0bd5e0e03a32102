import { BridgeError } from '../errors.js';
import type { FrameHeader } from './frame-layout.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_IHDR = [0x49, 0x48, 0x44, 0x52];
/** Signature (8) + IHDR length (4) + type (4) + width, height (8) + depth, color, ... (5) + CRC (4). */
const PNG_MIN_BYTES = 33;

/**
 * Cheap sanity checks of encoded payloads: the signature says what the header says, and a PNG's
 * own size agrees with the frame's. A full decode is the image layer's job.
 */
export function checkEncodedPayload(header: FrameHeader, payload: Uint8Array): void {
  if (header.format === 'png') checkPng(header, payload);
  else if (header.format === 'jpeg') checkJpeg(payload);
}

function checkPng(header: FrameHeader, payload: Uint8Array): void {
  if (payload.length < PNG_MIN_BYTES || !startsWith(payload, PNG_SIGNATURE, 0) || !startsWith(payload, PNG_IHDR, 12)) {
    throw bad('the payload is not a PNG (no PNG signature and IHDR chunk)');
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const width = view.getUint32(16, false);
  const height = view.getUint32(20, false);
  if (width !== header.width || height !== header.height) {
    throw bad(`the PNG is ${width}×${height} but the header says ${header.width}×${header.height}`);
  }
}

function checkJpeg(payload: Uint8Array): void {
  if (!startsWith(payload, [0xff, 0xd8, 0xff], 0)) throw bad('the payload is not a JPEG (no SOI marker)');
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at: number): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

function bad(message: string): BridgeError {
  return new BridgeError('frame_invalid', `Frame payload: ${message}.`, 'payload');
}
