import { BridgeError } from '../errors.js';
import { JOB_ID_PATTERN, MAX_JOB_ID_LENGTH } from './constants.js';
import {
  FRAME_FIXED_HEADER_BYTES,
  FRAME_FORMAT_CODES,
  FRAME_FORMAT_RULES,
  FRAME_KIND_CODES,
  FRAME_KIND_FORMATS,
  FRAME_MAGIC,
  FRAME_OFFSETS as AT,
  FRAME_VERSION,
  rawPayloadLength,
  type DecodedFrame,
  type FrameHeader,
  type FrameKind,
} from './frame-layout.js';
import { checkEncodedPayload } from './frame-payload-check.js';
import { resolveLimits, type Limits } from './limits.js';

export type FrameLimits = Pick<Limits, 'maxPixels' | 'maxFrameBytes'>;

const KIND_BY_CODE = invert(FRAME_KIND_CODES);
const FORMAT_BY_CODE = invert(FRAME_FORMAT_CODES);

/**
 * Decodes and validates one binary frame. Every declared size is checked against the limits
 * before anything is read past the fixed header, so a hostile header cannot make us allocate.
 * `kinds`, when given, lists the kinds the caller accepts (a server takes only image and mask).
 * Throws BridgeError('frame_invalid', message, field).
 */
export function decodeFrame(
  input: Uint8Array | ArrayBuffer,
  limits?: Partial<FrameLimits>,
  kinds?: readonly FrameKind[],
): DecodedFrame {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const { header, headerLength, payloadLength } = decodeFrameHeader(bytes, limits, kinds);
  const end = headerLength + payloadLength;
  if (bytes.length < end) throw bad('payload', `truncated payload: ${bytes.length - headerLength} of ${payloadLength} bytes`);
  if (bytes.length > end) throw bad('payload', `${bytes.length - end} bytes after the payload`);
  const payload = bytes.subarray(headerLength, end);
  checkEncodedPayload(header, payload);
  return { header, payload };
}

/**
 * Decodes and validates the header of a frame from bytes that hold at least the header (the
 * payload may follow or not). Same checks and errors as decodeFrame, payload aside.
 */
export function decodeFrameHeader(
  bytes: Uint8Array,
  limits?: Partial<FrameLimits>,
  kinds?: readonly FrameKind[],
): { header: FrameHeader; headerLength: number; payloadLength: number } {
  const { maxPixels, maxFrameBytes } = resolveLimits(limits);
  checkMagic(bytes);
  if (bytes.length < FRAME_FIXED_HEADER_BYTES) {
    throw bad('header', `truncated header: ${bytes.length} bytes, a frame header has at least ${FRAME_FIXED_HEADER_BYTES}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (at: number): number => view.getUint8(at);
  const u16 = (at: number): number => view.getUint16(at, true);
  const u32 = (at: number): number => view.getUint32(at, true);

  const version = u8(AT.version);
  if (version !== FRAME_VERSION) throw bad('version', `unsupported frame version ${version}, this side reads ${FRAME_VERSION}`);
  const jobIdLength = u16(AT.jobIdLength);
  if (jobIdLength < 1 || jobIdLength > MAX_JOB_ID_LENGTH) {
    throw bad('jobId', `job id length ${jobIdLength} is not between 1 and ${MAX_JOB_ID_LENGTH}`);
  }
  const headerLength = u16(AT.headerLength);
  if (headerLength !== FRAME_FIXED_HEADER_BYTES + jobIdLength) {
    throw bad('headerLength', `header length ${headerLength} disagrees with job id length ${jobIdLength} (expected ${FRAME_FIXED_HEADER_BYTES + jobIdLength})`);
  }

  const kind = KIND_BY_CODE.get(u8(AT.kind));
  if (kind === undefined) throw bad('kind', `unknown frame kind ${u8(AT.kind)}`);
  if (kinds !== undefined && !kinds.includes(kind)) throw bad('kind', `a ${kind} frame is not accepted here`);
  const format = FORMAT_BY_CODE.get(u8(AT.format));
  if (format === undefined) throw bad('format', `unknown frame format ${u8(AT.format)}`);
  if (!FRAME_KIND_FORMATS[kind].includes(format)) throw bad('format', `a ${kind} frame cannot use format ${format}`);
  const rules = FRAME_FORMAT_RULES[format];
  const channels = u8(AT.channels);
  if (!rules.channels.includes(channels)) throw bad('channels', `${format} cannot have ${channels} channels`);
  const bitDepth = u8(AT.bitDepth);
  if (!rules.bitDepths.includes(bitDepth)) throw bad('bitDepth', `${format} cannot have bit depth ${bitDepth}`);
  if (u8(AT.flags) !== 0) throw bad('flags', `reserved flags byte must be 0, got ${u8(AT.flags)}`);

  const width = u32(AT.width);
  const height = u32(AT.height);
  if (width < 1) throw bad('width', 'width must be at least 1');
  if (height < 1) throw bad('height', 'height must be at least 1');
  if (width * height > maxPixels) {
    throw bad('width', `${width}×${height} is ${width * height} pixels, over the limit of ${maxPixels}`);
  }
  const batchIndex = u16(AT.batchIndex);
  if ((kind === 'image' || kind === 'mask') && batchIndex !== 0) throw bad('batchIndex', `a ${kind} frame must have batch index 0`);

  const header: FrameHeader = {
    kind,
    format,
    width,
    height,
    channels,
    bitDepth: bitDepth === 16 ? 16 : 8,
    jobId: '',
    frameId: u32(AT.frameId),
    batchIndex,
  };
  const payloadLength = u32(AT.payloadLength);
  const expected = rawPayloadLength(header);
  if (expected !== undefined && payloadLength !== expected) {
    throw bad('payloadLength', `payload length ${payloadLength} disagrees with ${width}×${height}×${channels}×${bitDepth / 8} = ${expected}`);
  }
  if (payloadLength < 1) throw bad('payloadLength', 'payload is empty');
  if (headerLength + payloadLength > maxFrameBytes) {
    throw bad('payloadLength', `frame of ${headerLength + payloadLength} bytes is over the limit of ${maxFrameBytes}`);
  }

  if (bytes.length < headerLength) throw bad('header', `truncated header: ${bytes.length} of ${headerLength} bytes`);
  header.jobId = readJobId(bytes, FRAME_FIXED_HEADER_BYTES, jobIdLength);
  return { header, headerLength, payloadLength };
}

/**
 * The ids of a frame that may not decode, so an error about it can be addressed to its job.
 * Never throws; returns only what the bytes say plausibly.
 */
export function peekFrameIds(input: Uint8Array | ArrayBuffer): { jobId?: string; frameId?: number } {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < FRAME_FIXED_HEADER_BYTES || FRAME_MAGIC.some((b, i) => bytes[i] !== b)) return {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frameId = view.getUint32(AT.frameId, true);
  const jobIdLength = view.getUint16(AT.jobIdLength, true);
  try {
    return { frameId, jobId: readJobId(bytes, FRAME_FIXED_HEADER_BYTES, jobIdLength) };
  } catch {
    return { frameId };
  }
}

function checkMagic(bytes: Uint8Array): void {
  for (let i = 0; i < FRAME_MAGIC.length && i < bytes.length; i++) {
    if (bytes[i] !== FRAME_MAGIC[i]) throw bad('magic', 'not a latent-bridge frame (bad magic, expected "LBF1")');
  }
}

/** Job ids are ASCII by construction, so their UTF-8 bytes are their characters. */
function readJobId(bytes: Uint8Array, start: number, length: number): string {
  if (length < 1 || length > MAX_JOB_ID_LENGTH || bytes.length < start + length) throw bad('jobId', 'job id is missing or cut off');
  const id = String.fromCharCode(...bytes.subarray(start, start + length));
  if (!JOB_ID_PATTERN.test(id)) throw bad('jobId', 'job id has characters other than A-Z a-z 0-9 . _ : -');
  return id;
}

function bad(field: string, message: string): BridgeError {
  return new BridgeError('frame_invalid', `Frame ${field}: ${message}.`, field);
}

function invert<K extends string>(codes: Readonly<Record<K, number>>): Map<number, K> {
  return new Map((Object.entries(codes) as [K, number][]).map(([name, code]) => [code, name]));
}
