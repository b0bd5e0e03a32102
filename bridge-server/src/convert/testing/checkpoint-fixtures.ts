/**
 * TEST ONLY: whole small checkpoints of each family with torch's outputs per component
 * (torch/checkpoint_fixture.py), made once per script version under .cache/torch/.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openCheckpoint } from '../../checkpoint/index.js';
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { cachedTorchOutputs, repoRoot, requireTorch } from '../../checkpoint/testing/torch-python.js';

/** 'sdxl-full-depth': SDXL's block layout at a fifth of its width, for the families bench (see the script). */
export type CheckpointCase = 'sd1' | 'sd2' | 'sdxl' | 'sdxl-full-depth';

export interface CheckpointFixture {
  /** model.safetensors, model.ckpt, reference.safetensors. */
  dir: string;
  reference: TensorSource;
}

const SCRIPTS = ['bridge-server/src/convert/testing/torch/checkpoint_fixture.py', 'bridge-server/src/convert/testing/torch/text_vae_fixture.py', 'bridge-server/src/graphs/testing/ldm_unet_reference.py'];

/** The fixture, or undefined when the test was skipped for want of torch. */
export async function checkpointFixture(t: TestContext, c: CheckpointCase, dtype: 'fp32' | 'fp16', inpaint = false): Promise<CheckpointFixture | undefined> {
  if ((await requireTorch(t)) === undefined) return undefined;
  const dir = await checkpointFixtureDir(c, dtype, inpaint);
  return { dir, reference: await openCheckpoint(join(dir, 'reference.safetensors')) };
}

/** The fixture's folder, made with torch if it is not cached yet (throws without torch). */
export async function checkpointFixtureDir(c: CheckpointCase, dtype: 'fp32' | 'fp16', inpaint = false): Promise<string> {
  const root = repoRoot();
  const version = createHash('sha256');
  for (const s of SCRIPTS) version.update(readFileSync(join(root, s)));
  const main = join(root, SCRIPTS[0] as string);
  const args = ['--case', c, '--dtype', dtype, ...(inpaint ? ['--inpaint'] : [])];
  // The fixture script imports its sibling references by path, so it runs from its file.
  const wrapper = `import runpy, sys\nsys.argv = [${JSON.stringify(main)}, '--out', sys.argv[1], *sys.argv[2:]]\nrunpy.run_path(${JSON.stringify(main)}, run_name='__main__')\n# ${version.digest('hex').slice(0, 16)}\n`;
  return cachedTorchOutputs(`checkpoint-${c}${inpaint ? '-inpaint' : ''}-${dtype}`, wrapper, args);
}
