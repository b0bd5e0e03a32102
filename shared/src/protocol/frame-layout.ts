/**
 * The binary frame layout, version 1, as data. The codec reads its offsets from here and
 * frame-layout.json is generated from here, so the document and the code cannot disagree.
 * All integers are little-endian.
 */
export const FRAME_MAGIC = [0x4c, 0x42, 0x46, 0x31] as const; // "LBF1"
export const FRAME_VERSION = 1;
export const FRAME_FIXED_HEADER_BYTES = 32;

export type FrameFieldType = 'bytes' | 'u8' | 'u16' | 'u32' | 'utf8';

export interface FrameFieldSpec {
  name: string;
  offset: number;
  size: number;
  type: FrameFieldType;
  description: string;
}

export const FRAME_FIELDS = [
  { name: 'magic', offset: 0, size: 4, type: 'bytes', description: 'ASCII "LBF1" (4C 42 46 31).' },
  { name: 'headerLength', offset: 4, size: 2, type: 'u16', description: 'Bytes before the payload: 32 + jobIdLength.' },
  { name: 'version', offset: 6, size: 1, type: 'u8', description: 'Frame layout version, 1.' },
  { name: 'kind', offset: 7, size: 1, type: 'u8', description: 'What the frame carries; see enums.kind.' },
  { name: 'format', offset: 8, size: 1, type: 'u8', description: 'Payload encoding; see enums.format.' },
  { name: 'channels', offset: 9, size: 1, type: 'u8', description: 'Channels per pixel (raw-rgba 4, raw-gray 1; png 1-4; jpeg 1 or 3).' },
  { name: 'bitDepth', offset: 10, size: 1, type: 'u8', description: 'Bits per channel sample: 8 or 16 (jpeg: 8).' },
  { name: 'flags', offset: 11, size: 1, type: 'u8', description: 'Reserved, must be 0.' },
  { name: 'frameId', offset: 12, size: 4, type: 'u32', description: 'Sender-chosen id that JSON messages use to refer to the frame.' },
  { name: 'width', offset: 16, size: 4, type: 'u32', description: 'Image width in pixels, at least 1.' },
  { name: 'height', offset: 20, size: 4, type: 'u32', description: 'Image height in pixels, at least 1.' },
  { name: 'payloadLength', offset: 24, size: 4, type: 'u32', description: 'Payload bytes; raw formats: width*height*channels*bitDepth/8.' },
  { name: 'batchIndex', offset: 28, size: 2, type: 'u16', description: 'Batch item (preview, result); 0 for image and mask.' },
  { name: 'jobIdLength', offset: 30, size: 2, type: 'u16', description: 'Bytes of jobId, 1 to 64.' },
  { name: 'jobId', offset: 32, size: -1, type: 'utf8', description: 'Job id, jobIdLength bytes of UTF-8 restricted to A-Z a-z 0-9 . _ : -' },
] as const satisfies readonly FrameFieldSpec[];

type FieldName = (typeof FRAME_FIELDS)[number]['name'];

/** Byte offset of each header field. */
export const FRAME_OFFSETS = Object.fromEntries(FRAME_FIELDS.map((f) => [f.name, f.offset])) as Record<FieldName, number>;

export const FRAME_KINDS = ['image', 'mask', 'preview', 'result'] as const;
export type FrameKind = (typeof FRAME_KINDS)[number];
export const FRAME_FORMATS = ['raw-rgba', 'raw-gray', 'png', 'jpeg'] as const;
export type FrameFormat = (typeof FRAME_FORMATS)[number];

/** Wire codes. 0 is never used, so a zeroed header is always invalid. */
export const FRAME_KIND_CODES: Readonly<Record<FrameKind, number>> = { image: 1, mask: 2, preview: 3, result: 4 };
export const FRAME_FORMAT_CODES: Readonly<Record<FrameFormat, number>> = { 'raw-rgba': 1, 'raw-gray': 2, png: 3, jpeg: 4 };

/** Which formats each kind may use: masks are single-channel, pictures are not. */
export const FRAME_KIND_FORMATS: Readonly<Record<FrameKind, readonly FrameFormat[]>> = {
  image: ['raw-rgba', 'png', 'jpeg'],
  mask: ['raw-gray', 'png'],
  preview: ['raw-rgba', 'png', 'jpeg'],
  result: ['raw-rgba', 'png', 'jpeg'],
};

/** Channel counts and bit depths each format allows. */
export const FRAME_FORMAT_RULES: Readonly<Record<FrameFormat, { channels: readonly number[]; bitDepths: readonly number[] }>> = {
  'raw-rgba': { channels: [4], bitDepths: [8, 16] },
  'raw-gray': { channels: [1], bitDepths: [8, 16] },
  png: { channels: [1, 2, 3, 4], bitDepths: [8, 16] },
  jpeg: { channels: [1, 3], bitDepths: [8] },
};

/** Kinds a client sends to the server, and kinds the server sends back. */
export const CLIENT_FRAME_KINDS: readonly FrameKind[] = ['image', 'mask'];
export const SERVER_FRAME_KINDS: readonly FrameKind[] = ['preview', 'result'];

export interface FrameHeader {
  kind: FrameKind;
  format: FrameFormat;
  width: number;
  height: number;
  channels: number;
  bitDepth: 8 | 16;
  jobId: string;
  frameId: number;
  batchIndex: number;
}

export interface DecodedFrame {
  header: FrameHeader;
  /** A view into the decoded bytes, not a copy. */
  payload: Uint8Array;
}

export function isRawFormat(format: FrameFormat): boolean {
  return format === 'raw-rgba' || format === 'raw-gray';
}

/** Payload bytes a raw frame must have; undefined for encoded formats (png, jpeg). */
export function rawPayloadLength(header: Pick<FrameHeader, 'format' | 'width' | 'height' | 'channels' | 'bitDepth'>): number | undefined {
  if (!isRawFormat(header.format)) return undefined;
  return header.width * header.height * header.channels * (header.bitDepth / 8);
}
