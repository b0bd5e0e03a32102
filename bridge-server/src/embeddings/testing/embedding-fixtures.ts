/**
 * TEST ONLY: embedding files for the small SD 1.x checkpoint (torch/embedding_fixture.py) with
 * torch's text-encoder outputs for PROMPTS, where embeddings take their positions as A1111 places them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openCheckpoint } from '../../checkpoint/index.js';
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { cachedTorchOutputs, repoRoot } from '../../checkpoint/testing/torch-python.js';
import { checkpointFixture, type CheckpointFixture } from '../../convert/testing/checkpoint-fixtures.js';
import { bundledClipTokenizerDir, ClipTokenizer } from '../../tokenizer/index.js';

const SCRIPT = 'bridge-server/src/embeddings/testing/torch/embedding_fixture.py';
export type PromptSegment = string | { emb: string };

/** 73 one-token words: a 3-vector embedding after them does not fit in the first chunk. */
const FILLER = Array.from({ length: 73 }, () => 'cat').join(' ');
export const PROMPTS: ReadonlyArray<readonly PromptSegment[]> = [
  ['a photo of', { emb: 'tri-emb' }, 'on a table'],
  [{ emb: 'one-emb' }, 'red', { emb: 'toy' }],
  [FILLER, { emb: 'tri-emb' }, 'sky'],
];

/** SDXL: one 2-vector {clip_l, clip_g} embedding. */
export const PROMPTS_XL: ReadonlyArray<readonly PromptSegment[]> = [['a photo of', { emb: 'xl-emb' }, 'at night']];

export const promptText = (p: readonly PromptSegment[]): string => p.map((s) => (typeof s === 'string' ? s : s.emb)).join(' ');

export interface EmbeddingFixture {
  base: CheckpointFixture;
  /** one-emb.safetensors, tri-emb.pt, toy.safetensors (SDXL: xl-emb.safetensors), reference.safetensors. */
  dir: string;
  reference: TensorSource;
}

export async function embeddingFixture(t: TestContext, c: 'sd1' | 'sdxl' = 'sd1'): Promise<EmbeddingFixture | undefined> {
  const base = await checkpointFixture(t, c, 'fp32');
  if (base === undefined) return undefined;
  const tokenizer = await ClipTokenizer.fromFolder(bundledClipTokenizerDir());
  const segments = (c === 'sdxl' ? PROMPTS_XL : PROMPTS).map((p) => p.map((s) => (typeof s === 'string' ? tokenizer.encode(s) : s.emb)));
  const main = join(repoRoot(), SCRIPT);
  const version = createHash('sha256').update(readFileSync(main)).digest('hex').slice(0, 16);
  const wrapper = `import runpy, sys\nsys.argv = [${JSON.stringify(main)}, *sys.argv[1:]]\nrunpy.run_path(${JSON.stringify(main)}, run_name='__main__')\n# ${version}\n`;
  const dir = await cachedTorchOutputs(`embeddings-${c}`, wrapper, ['--base', base.dir, '--prompts', JSON.stringify(segments), ...(c === 'sdxl' ? ['--case', 'sdxl'] : [])]);
  return { base, dir, reference: await openCheckpoint(join(dir, 'reference.safetensors')) };
}
