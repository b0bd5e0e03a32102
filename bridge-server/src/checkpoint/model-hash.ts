/**
 * A1111's model hashes, streamed (modules/hashes.py, modules/sd_models.py, extensions-builtin/Lora):
 * - `sha256`: of the whole file. A1111's `Model hash:` in infotext is its first 10 hex digits
 *   (CheckpointInfo.shorthash); embeddings and non-safetensors LoRAs use the first 12.
 * - `legacy`: the pre-2023 `model_hash`: first 8 hex digits of sha256 over the 0x10000 bytes at
 *   offset 0x100000 (fewer, or none, when the file is shorter, as Python's read() gives).
 * - `addnet`: for .safetensors LoRAs, kohya's hash (addnet_hash_safetensors): sha256 of
 *   everything after the 8-byte length and the header, so editing metadata leaves it unchanged.
 *   `Lora hashes:` shows its first 12 hex digits.
 * All three come from one pass over the file.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { invalidCheckpoint } from './checkpoint-error.js';

export interface ModelHashes {
  /** Full sha256 of the file, 64 lowercase hex digits. */
  readonly sha256: string;
  /** A1111's 8-hex legacy model hash. */
  readonly legacy: string;
  /** kohya/A1111 addnet hash of a safetensors file's data area; undefined when not asked or not safetensors-shaped. */
  readonly addnet: string | undefined;
}

export interface HashOptions {
  /** Also compute the addnet hash (the file must start with a safetensors header length). */
  readonly addnet?: boolean;
  readonly signal?: AbortSignal;
  /** Called after each chunk with bytes hashed so far and the file size. */
  readonly onProgress?: (done: number, total: number) => void;
}

const CHUNK = 8 * 1024 * 1024;
const LEGACY_OFFSET = 0x100000;
const LEGACY_LENGTH = 0x10000;

/** A1111's short checkpoint hash (`Model hash:`), 10 hex digits. */
export function a1111ShortHash(sha256: string): string {
  return sha256.slice(0, 10);
}

/** A1111's short hash for LoRAs and embeddings (`Lora hashes:`, `TI hashes:`), 12 hex digits. */
export function a1111NetworkShortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** The bytes of [start, end) that fall inside [from, to), as a subarray of `chunk` (which starts at `start`). */
function overlap(chunk: Uint8Array, start: number, from: number, to: number): Uint8Array | undefined {
  const a = Math.max(start, from);
  const b = Math.min(start + chunk.byteLength, to);
  return a < b ? chunk.subarray(a - start, b - start) : undefined;
}

/** sha256, legacy and (optionally) addnet hash of a file in one streamed pass. */
export async function hashModelFile(file: string, options: HashOptions = {}): Promise<ModelHashes> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const full = createHash('sha256');
    const legacy = createHash('sha256');
    let addnet: ReturnType<typeof createHash> | undefined;
    let addnetFrom = Number.POSITIVE_INFINITY;
    if (options.addnet === true) {
      const first8 = new Uint8Array(8);
      const { bytesRead } = await handle.read(first8, 0, 8, 0);
      if (bytesRead < 8) throw invalidCheckpoint(file, 'too short for a safetensors header length (addnet hash)');
      const n = new DataView(first8.buffer).getBigUint64(0, true);
      if (n + 8n > BigInt(size)) throw invalidCheckpoint(file, `safetensors header length ${n} runs past the end of the file (addnet hash)`);
      addnetFrom = Number(n) + 8;
      addnet = createHash('sha256');
    }
    // Two buffers: the next read overlaps hashing of the current chunk.
    const buffers = [new Uint8Array(CHUNK), new Uint8Array(CHUNK)];
    let position = 0;
    let turn = 0;
    let pending = size > 0 ? handle.read(buffers[0]!, 0, Math.min(CHUNK, size), 0) : undefined;
    while (pending !== undefined) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) throw invalidCheckpoint(file, `the file ended at byte ${position} while hashing (it shrank?)`);
      const chunk = buffers[turn]!.subarray(0, bytesRead);
      const start = position;
      position += bytesRead;
      turn ^= 1;
      options.signal?.throwIfAborted(); // before the next read starts: nothing is left in flight
      pending = position < size ? handle.read(buffers[turn]!, 0, Math.min(CHUNK, size - position), position) : undefined;
      full.update(chunk);
      const l = overlap(chunk, start, LEGACY_OFFSET, LEGACY_OFFSET + LEGACY_LENGTH);
      if (l !== undefined) legacy.update(l);
      if (addnet !== undefined) {
        const a = overlap(chunk, start, addnetFrom, Number.POSITIVE_INFINITY);
        if (a !== undefined) addnet.update(a);
      }
      options.onProgress?.(position, size);
    }
    return { sha256: full.digest('hex'), legacy: legacy.digest('hex').slice(0, 8), addnet: addnet?.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** A1111's legacy 8-hex model hash alone (reads only 64 KiB). */
export async function legacyModelHash(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(LEGACY_LENGTH);
    let done = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, done, LEGACY_LENGTH - done, LEGACY_OFFSET + done);
      if (bytesRead === 0) break;
      done += bytesRead;
      if (done === LEGACY_LENGTH) break;
    }
    return createHash('sha256').update(buffer.subarray(0, done)).digest('hex').slice(0, 8);
  } finally {
    await handle.close();
  }
}
