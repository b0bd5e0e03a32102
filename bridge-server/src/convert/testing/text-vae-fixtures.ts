/**
 * TEST ONLY: the private torch reference for the text encoders and VAEs (torch/text_vae_fixture.py,
 * original-module reimplementations with their real key names), generated once per script version
 * under .cache/text-vae-fixtures/. Tests skip with a reason where torch is missing, unless
 * LATENT_BRIDGE_REQUIRE_TORCH=1 makes that a failure.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openCheckpoint } from '../../checkpoint/index.js';
import type { TensorSource } from '../../checkpoint/tensor-source.js';

export type FixtureCase = 'sd1' | 'sd2' | 'sdxl';
export type FixtureDtype = 'fp32' | 'fp16';

export interface TextVaeFixture {
  dir: string;
  reference: TensorSource;
}

const ROOT = resolve(import.meta.dirname, '../../../..');
const SCRIPT = join(ROOT, 'bridge-server/src/convert/testing/torch/text_vae_fixture.py');
const PYTHON = '/usr/bin/python3';

let torchChecked: string | undefined | null = null;

/** Why torch fixtures cannot be made here, or undefined when they can. */
export function torchUnavailable(): string | undefined {
  if (torchChecked !== null) return torchChecked;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  torchChecked = probe.status === 0 ? undefined : `${PYTHON} cannot import torch (${(probe.stderr || String(probe.error)).trim().split('\n').at(-1) ?? ''})`;
  if (torchChecked !== undefined && process.env['LATENT_BRIDGE_REQUIRE_TORCH'] === '1') {
    throw new Error(`LATENT_BRIDGE_REQUIRE_TORCH=1 but ${torchChecked}`);
  }
  return torchChecked;
}

const pending = new Map<string, Promise<TextVaeFixture>>();

async function generate(dir: string, c: FixtureCase, dtype: FixtureDtype): Promise<void> {
  if (existsSync(join(dir, 'reference.safetensors'))) return;
  const staging = `${dir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const res = spawnSync(PYTHON, [SCRIPT, '--case', c, '--dtype', dtype, '--out', staging], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`torch fixture ${c}/${dtype} failed: ${res.stderr}`);
  // Another test process may have finished the same fixture meanwhile and be reading it: keep
  // theirs (never remove a complete fixture), drop ours.
  if (existsSync(join(dir, 'reference.safetensors'))) {
    await rm(staging, { recursive: true, force: true });
    return;
  }
  await mkdir(join(dir, '..'), { recursive: true });
  try {
    await rename(staging, dir);
  } catch (error) {
    if (!existsSync(join(dir, 'reference.safetensors'))) throw error;
    await rm(staging, { recursive: true, force: true });
  }
}

export function textVaeFixture(c: FixtureCase, dtype: FixtureDtype): Promise<TextVaeFixture> {
  const version = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex').slice(0, 12);
  const dir = join(ROOT, '.cache/text-vae-fixtures', version, `${c}-${dtype}`);
  let made = pending.get(dir);
  if (made === undefined) {
    made = generate(dir, c, dtype).then(async () => ({ dir, reference: await openCheckpoint(join(dir, 'reference.safetensors')) }));
    pending.set(dir, made);
  }
  return made;
}
