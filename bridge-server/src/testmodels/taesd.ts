/**
 * A TAESD decoder checkpoint with seeded random weights in taesd.py's own key layout (Sequential
 * indices), for preview tests and the bench: the real file's tensor names and shapes.
 */
import { writeSafetensors, type SafetensorsTensorToWrite } from '../checkpoint/index.js';
import { Prng } from './prng.js';

/** [key, shape] of every tensor of taesd_decoder.safetensors (4 latent channels, 64 wide). */
export function taesdDecoderKeys(latentChannels = 4): Array<[string, number[]]> {
  const keys: Array<[string, number[]]> = [
    ['1.weight', [64, latentChannels, 3, 3]],
    ['1.bias', [64]],
  ];
  const block = (i: number) => {
    for (const j of [0, 2, 4]) keys.push([`${i}.conv.${j}.weight`, [64, 64, 3, 3]], [`${i}.conv.${j}.bias`, [64]]);
  };
  [3, 4, 5].forEach(block);
  keys.push(['7.weight', [64, 64, 3, 3]]);
  [8, 9, 10].forEach(block);
  keys.push(['12.weight', [64, 64, 3, 3]]);
  [13, 14, 15].forEach(block);
  keys.push(['17.weight', [64, 64, 3, 3]]);
  block(18);
  keys.push(['19.weight', [3, 64, 3, 3]], ['19.bias', [3]]);
  return keys;
}

export async function writeRandomTaesdDecoder(file: string, seed = 0): Promise<void> {
  const rng = new Prng(seed);
  const tensors: SafetensorsTensorToWrite[] = taesdDecoderKeys().map(([key, shape]) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? count / (shape[0] as number) : 64;
    const values = rng.normals(count, shape.length > 1 ? 1.4 / Math.sqrt(fanIn) : 0.05, key === '19.bias' ? 0.5 : 0);
    return { key, dtype: 'F32', shape, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
  });
  await writeSafetensors(file, tensors);
}
