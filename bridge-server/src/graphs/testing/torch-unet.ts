/**
 * Test support: the torch reference of the original LDM/SGM UNetModel (ldm_unet_reference.py) at
 * small widths, run once per case and dtype and cached by the checkpoint helper's torch runner.
 * Its checkpoints are read through the production readers (openCheckpoint).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openCheckpoint } from '../../checkpoint/open-checkpoint.js';
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { cachedTorchOutputs, repoRoot, requireTorch } from '../../checkpoint/testing/torch-python.js';

export type UnetCase = 'sd1' | 'sd1-inpaint' | 'sd1-pix2pix' | 'sd1-lcm' | 'sd2' | 'sd2-v' | 'sdxl' | 'sdxl-inpaint';
export type CaseDType = 'fp32' | 'fp16';

export interface TorchUnetCase {
  /** model.safetensors, model.ckpt (fp32), model.yaml, diffusers/unet/, reference.safetensors. */
  dir: string;
  /** Reference inputs and outputs: unet.in.*, unet.out.out_sample (sd1 also unet.out.ema_out_sample). */
  reference: TensorSource;
}

function script(): string {
  return readFileSync(join(repoRoot(), 'bridge-server/src/graphs/testing/ldm_unet_reference.py'), 'utf8');
}

/** The case's files, made on first use; undefined (the test skipped) without torch. */
export async function torchUnetCase(t: TestContext, name: UnetCase, dtype: CaseDType): Promise<TorchUnetCase | undefined> {
  if ((await requireTorch(t)) === undefined) return undefined;
  const dir = await cachedTorchOutputs(`unet-${name}-${dtype}`, script(), ['--case', name, '--dtype', dtype]);
  return { dir, reference: await openCheckpoint(join(dir, 'reference.safetensors')) };
}
