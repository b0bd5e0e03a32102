/**
 * Writes a .safetensors file the way the reference (Rust) writer lays it out: tensors sorted by
 * element size (largest first) then key, so each starts aligned to its element size; the JSON
 * header padded with spaces to a multiple of 8. Tensor bytes are asked for one at a time, in
 * file order, so a merged model can be written without holding it all. The file appears under
 * its name only when complete (written beside it, synced, renamed).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { BridgeError } from '@latent-bridge/shared';
import { DTYPE_SIZE, isStoredDType, shapeNumel } from './dtypes.js';
import type { StoredDType } from './tensor-source.js';

export interface SafetensorsTensorToWrite {
  readonly key: string;
  readonly dtype: StoredDType;
  readonly shape: readonly number[];
  /** The stored little-endian bytes, or a function giving them when the tensor's turn comes. */
  readonly data: Uint8Array | (() => Uint8Array | Promise<Uint8Array>);
}

export interface WriteSafetensorsOptions {
  signal?: AbortSignal;
  /** Called after each tensor with the data bytes written so far and the total. */
  onProgress?: (written: number, total: number) => void;
}

interface Planned {
  readonly tensor: SafetensorsTensorToWrite;
  readonly byteLength: number;
  begin: number;
}

function plan(tensors: readonly SafetensorsTensorToWrite[]): Planned[] {
  const seen = new Set<string>();
  const planned = tensors.map((tensor): Planned => {
    const { key, dtype, shape } = tensor;
    if (key === '__metadata__') throw new BridgeError('invalid_field', 'writeSafetensors: "__metadata__" cannot be a tensor key', 'key');
    if (seen.has(key)) throw new BridgeError('invalid_field', `writeSafetensors: tensor "${key}" given twice`, 'key');
    seen.add(key);
    if (!isStoredDType(dtype)) throw new BridgeError('invalid_field', `writeSafetensors: tensor "${key}" has unknown dtype ${String(dtype)}`, 'dtype');
    const numel = shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? shapeNumel(shape) : undefined;
    if (numel === undefined) throw new BridgeError('invalid_field', `writeSafetensors: tensor "${key}" has a bad shape ${JSON.stringify(shape)}`, 'shape');
    const byteLength = numel * DTYPE_SIZE[dtype];
    if (tensor.data instanceof Uint8Array && tensor.data.byteLength !== byteLength) {
      throw new BridgeError('invalid_field', `writeSafetensors: tensor "${key}" has ${tensor.data.byteLength} bytes, ${dtype} ${JSON.stringify(shape)} needs ${byteLength}`, 'data');
    }
    return { tensor, byteLength, begin: 0 };
  });
  planned.sort((a, b) => DTYPE_SIZE[b.tensor.dtype] - DTYPE_SIZE[a.tensor.dtype] || (a.tensor.key < b.tensor.key ? -1 : a.tensor.key > b.tensor.key ? 1 : 0));
  let offset = 0;
  for (const p of planned) {
    p.begin = offset;
    offset += p.byteLength;
  }
  return planned;
}

/** The 8-byte length and the space-padded JSON header for a planned layout. */
function encodeHeader(planned: readonly Planned[], metadata: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  for (const p of planned) {
    header[p.tensor.key] = { dtype: p.tensor.dtype, shape: p.tensor.shape, data_offsets: [p.begin, p.begin + p.byteLength] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.byteLength) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

/** Writes `tensors` and `metadata` to `file` (replacing it only once the new file is complete). */
export async function writeSafetensors(
  file: string,
  tensors: readonly SafetensorsTensorToWrite[],
  metadata: Readonly<Record<string, string>> = {},
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new BridgeError('invalid_field', `writeSafetensors: metadata "${k}" is not a string`, 'metadata');
  }
  const planned = plan(tensors);
  const total = planned.reduce((sum, p) => sum + p.byteLength, 0);
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
  const handle = await open(temp, 'wx');
  let ok = false;
  try {
    await handle.write(encodeHeader(planned, metadata));
    let written = 0;
    for (const p of planned) {
      options.signal?.throwIfAborted();
      const data = typeof p.tensor.data === 'function' ? await p.tensor.data() : p.tensor.data;
      if (data.byteLength !== p.byteLength) {
        throw new BridgeError('invalid_field', `writeSafetensors: tensor "${p.tensor.key}" gave ${data.byteLength} bytes, expected ${p.byteLength}`, 'data');
      }
      let done = 0;
      while (done < data.byteLength) {
        const { bytesWritten } = await handle.write(data, done, data.byteLength - done);
        done += bytesWritten;
      }
      written += p.byteLength;
      options.onProgress?.(written, total);
    }
    await handle.sync();
    ok = true;
  } finally {
    await handle.close();
    if (!ok) await rm(temp, { force: true });
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
