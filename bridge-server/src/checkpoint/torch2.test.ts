import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { toFloat32 } from './dtypes.js';
import { openCheckpoint } from './open-checkpoint.js';
import { SafetensorsFile } from './safetensors.js';
import { assertMatchesTorch, assertSameFloats } from './testing/assert-tensors.js';
import { torch2FixturesDir } from './testing/torch2-fixtures.js';
import { loadExpected } from './testing/torch-fixtures.js';
import { TorchCheckpoint } from './torch-checkpoint.js';

// Files torch 2.11 and the safetensors library wrote (kept in testing/torch2/; see its README).
const dir = torch2FixturesDir();

test('torch 2.x checkpoints: float8 via _rebuild_tensor_v3 and UntypedStorage, views, byteorder entry', async () => {
  assert.ok(dir !== undefined, 'testing/torch2 fixtures are missing');
  const ckpt = await openCheckpoint(join(dir, 'torch2.ckpt'));
  assert.ok(ckpt instanceof TorchCheckpoint);
  try {
    await assertMatchesTorch(ckpt, await loadExpected(dir, 'torch2'));
    assert.equal(ckpt.entry('e4m3_t')?.contiguous, false);
    assert.equal(ckpt.entry('e4m3_slice')?.storageOffset, 8);
  } finally {
    await ckpt.close();
  }
});

test('the reference safetensors writer: every dtype incl. F8, empty tensors, metadata', async () => {
  assert.ok(dir !== undefined);
  const st = await openCheckpoint(join(dir, 'official.safetensors'));
  assert.ok(st instanceof SafetensorsFile);
  try {
    await assertMatchesTorch(st, await loadExpected(dir, 'official'));
    assert.deepEqual({ ...st.metadata }, { format: 'pt', 'modelspec.title': 'fixture' });
  } finally {
    await st.close();
  }
});

test('every float8 pattern converts to the float32 torch 2 gives', async () => {
  assert.ok(dir !== undefined);
  const ref = new Float32Array(new Uint8Array(await readFile(join(dir, 'f8-all.f32.bin'))).buffer);
  const all = new Uint8Array(256).map((_, i) => i);
  for (const [i, dtype] of (['F8_E4M3', 'F8_E5M2'] as const).entries()) {
    const out = new Float32Array(256);
    toFloat32(dtype, all, out);
    assertSameFloats(out, ref.subarray(256 * i, 256 * (i + 1)), dtype);
  }
});

test("Lightning's real ModelCheckpoint key and numpy 2 scalars read as values", async () => {
  assert.ok(dir !== undefined);
  const ckpt = await openCheckpoint(join(dir, 'torch2-lightning.ckpt'));
  assert.ok(ckpt instanceof TorchCheckpoint);
  try {
    assert.equal(ckpt.unwrapped, 'state_dict');
    assert.deepEqual([...ckpt.keys()].sort(), ['e5m2', 'w']);
    const key = 'callbacks.pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint';
    assert.deepEqual(Object.fromEntries(ckpt.values), { global_step: 12, epoch: 1, [`${key}.kth_value`]: 1.5, [`${key}.n`]: 3 });
  } finally {
    await ckpt.close();
  }
});

test('dtypes torch 2 has but checkpoints do not use are refused by name', async () => {
  assert.ok(dir !== undefined);
  await assert.rejects(openCheckpoint(join(dir, 'torch2-uint16.ckpt')), { code: 'checkpoint_invalid', message: /torch\.uint16 are not supported/ });
});
