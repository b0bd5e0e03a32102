/**
 * Opens any checkpoint file with the reader its first bytes call for (never its extension: .ckpt
 * files that are safetensors and .bin files that are zips both exist in the wild).
 */
import { invalidCheckpoint } from './checkpoint-error.js';
import { PositionedFile } from './positioned-file.js';
import { SafetensorsFile } from './safetensors.js';
import { refusalFor, sniff, SNIFF_BYTES, type SniffedFormat } from './sniff.js';
import { TorchCheckpoint } from './torch-checkpoint.js';

export type CheckpointFormat = 'safetensors' | 'torch-zip';

/** Which reader a file needs, or the refusal for a format that is recognised but not read. */
export async function detectCheckpointFormat(file: string): Promise<SniffedFormat> {
  const reader = await PositionedFile.open(file);
  try {
    return sniff(await reader.read(0, Math.min(SNIFF_BYTES, reader.size), 'file header'));
  } finally {
    await reader.close();
  }
}

export async function openCheckpoint(file: string): Promise<SafetensorsFile | TorchCheckpoint> {
  const reader = await PositionedFile.open(file);
  let head: Uint8Array;
  try {
    if (reader.size === 0) throw invalidCheckpoint(file, 'the file is empty');
    head = await reader.read(0, Math.min(SNIFF_BYTES, reader.size), 'file header');
  } finally {
    await reader.close();
  }
  const format = sniff(head);
  if (format === 'safetensors') return SafetensorsFile.open(file);
  if (format === 'torch-zip') return TorchCheckpoint.open(file);
  throw invalidCheckpoint(file, refusalFor(format, head) ?? `unreadable format ${format}`);
}
