/**
 * What a file is, from its first bytes (never from its extension): the formats we read, and the
 * ones we recognise only to refuse them with a useful message.
 */
export type SniffedFormat =
  | 'safetensors'
  | 'torch-zip'
  | 'legacy-torch'
  | 'legacy-tar'
  | 'pickle'
  | 'gguf'
  | 'empty-zip'
  | 'unknown';

/** Bytes to read from the start of a file for sniff(): enough for a tar header's magic. */
export const SNIFF_BYTES = 264;

/** LONG1 0x1950a86a20f9469cfc6c: the magic number torch.save wrote first before version 1.6. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function startsWith(head: Uint8Array, bytes: readonly number[]): boolean {
  return bytes.every((b, i) => head[i] === b);
}

export function sniff(head: Uint8Array): SniffedFormat {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'torch-zip';
  if (startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return 'empty-zip';
  if (startsWith(head, [0x47, 0x47, 0x55, 0x46])) return 'gguf';
  // 8-byte little-endian header length, then the JSON's "{". A damaged length still routes here,
  // so the safetensors reader can say what is wrong with it.
  if (head.byteLength >= 9 && head[8] === 0x7b) return 'safetensors';
  if (startsWith(head, LEGACY_MAGIC)) return 'legacy-torch';
  if (head.byteLength >= 262 && String.fromCharCode(...head.subarray(257, 262)) === 'ustar') return 'legacy-tar';
  if (head[0] === 0x80 && head[1] !== undefined && head[1] <= 5) return 'pickle';
  return 'unknown';
}

const RESAVE =
  'Re-save it with torch 1.6 or newer (torch.save(torch.load(path), new_path) on a machine you trust it on) ' +
  'or convert it to .safetensors.';

/** The refusal for a format we recognise but do not read; undefined for the readable ones. */
export function refusalFor(format: SniffedFormat, head: Uint8Array): string | undefined {
  switch (format) {
    case 'legacy-torch':
      return `this is a PyTorch checkpoint in the format before torch 1.6 (a bare pickle stream), which is not read. ${RESAVE}`;
    case 'legacy-tar':
      return `this is a PyTorch checkpoint in the old tar format (torch 0.x), which is not read. ${RESAVE}`;
    case 'pickle':
      return `this is a bare Python pickle, not a PyTorch zip checkpoint; it is not read. ${RESAVE}`;
    case 'gguf':
      return 'this is a GGUF file (quantized weights for llama.cpp / ComfyUI-GGUF); only .safetensors and PyTorch .ckpt/.pt/.bin checkpoints can be imported.';
    case 'empty-zip':
      return 'this is an empty zip archive, not a checkpoint.';
    case 'unknown': {
      const hex = Buffer.from(head.subarray(0, 8)).toString('hex');
      return `not a checkpoint: neither .safetensors (8-byte length, then a JSON header) nor a PyTorch zip archive (first bytes ${hex || 'none'}).`;
    }
    default:
      return undefined;
  }
}
