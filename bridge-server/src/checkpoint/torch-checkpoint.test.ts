import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { CheckpointError } from './checkpoint-error.js';
import { openCheckpoint } from './open-checkpoint.js';
import { assertMatchesTorch } from './testing/assert-tensors.js';
import { loadExpected, torchFixtures } from './testing/torch-fixtures.js';
import { openTorchCheckpoint, TorchCheckpoint } from './torch-checkpoint.js';

test('torch.save state dict: every dtype, views and nesting read back exactly as torch saved them', async (t) => {
  const dir = await torchFixtures(t);
  if (dir === undefined) return;
  const expected = await loadExpected(dir, 'plain');
  // Protocol 2 (torch's default), protocol 4 (STACK_GLOBAL, MEMOIZE, FRAME), deflated and ZIP64 re-zips.
  for (const name of ['plain.ckpt', 'plain-p4.ckpt', 'plain-deflated.ckpt', 'plain-zip64.ckpt']) {
    const ckpt = await openTorchCheckpoint(join(dir, name));
    try {
      await assertMatchesTorch(ckpt, expected);
      assert.equal(ckpt.unwrapped, undefined);
      assert.deepEqual(ckpt.metadata, {});
    } finally {
      await ckpt.close();
    }
  }
});

test('views keep their storage: transposes, slices and channels-last are gathered, shared storages stay shared', async (t) => {
  const dir = await torchFixtures(t);
  if (dir === undefined) return;
  const ckpt = await openTorchCheckpoint(join(dir, 'plain.ckpt'));
  try {
    const entry = (key: string) => {
      const e = ckpt.entry(key);
      assert.ok(e !== undefined, key);
      return e;
    };
    for (const key of ['w_t', 'w_cols', 'w_step', 'expanded', 'channels_last', 'half_t', 'bf16_t']) assert.equal(entry(key).contiguous, false, key);
    for (const key of ['w', 'w_rows', 'w_elem', 'half', 'scalar', 'position_ids']) assert.equal(entry(key).contiguous, true, key);
    // One storage behind the tensor and its views, at the offsets torch gave them.
    const storage = entry('w').storageEntry;
    assert.ok(storage !== undefined && storage.endsWith('/data/0'), String(storage));
    for (const key of ['w_t', 'w_rows', 'w_cols', 'w_step', 'w_elem']) assert.equal(entry(key).storageEntry, storage, key);
    assert.equal(entry('w_rows').storageOffset, 6);
    assert.deepEqual(entry('w_t').stride, [1, 6]);
    assert.deepEqual(entry('expanded').stride, [0, 1]);
    assert.deepEqual([...entry('scalar').shape], []);
    assert.equal(entry('empty').byteLength, 0);
    assert.equal((await ckpt.readRaw('empty')).byteLength, 0);
    // Into caller buffers as well, and concurrently.
    const w = await Promise.all(['w', 'w_t', 'half_t', 'channels_last'].map((k) => ckpt.readFloat32(k)));
    const into = new Float32Array(24);
    await ckpt.readFloat32Into('w_t', into);
    assert.deepEqual(into, w[1]);
  } finally {
    await ckpt.close();
  }
});

test('A1111/Lightning wrapper: tensors come from state_dict, the scalars beside it become values', async (t) => {
  const dir = await torchFixtures(t);
  if (dir === undefined) return;
  const ckpt = await openCheckpoint(join(dir, 'a1111.ckpt'));
  assert.ok(ckpt instanceof TorchCheckpoint);
  try {
    assert.equal(ckpt.unwrapped, 'state_dict');
    await assertMatchesTorch(ckpt, await loadExpected(dir, 'a1111'));
    const want = JSON.parse(await readFile(join(dir, 'a1111.values.json'), 'utf8')) as Record<string, unknown>;
    const got = Object.fromEntries([...ckpt.values].map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
    assert.deepEqual(got, want);
  } finally {
    await ckpt.close();
  }
});

test('A1111 embeddings: string_to_param nesting becomes dotted keys, name and step are values', async (t) => {
  const dir = await torchFixtures(t);
  if (dir === undefined) return;
  const emb = await openTorchCheckpoint(join(dir, 'embedding.pt'));
  try {
    await assertMatchesTorch(emb, await loadExpected(dir, 'embedding'));
    assert.deepEqual(Object.fromEntries(emb.values), {
      'string_to_token.*': 265,
      name: 'my-style',
      step: 3000,
      sd_checkpoint: 'e1441589a6',
      sd_checkpoint_name: 'v1-5-pruned-emaonly',
    });
  } finally {
    await emb.close();
  }
  for (const name of ['emb-params', 'bare']) {
    const ckpt = await openTorchCheckpoint(join(dir, `${name}.pt`));
    try {
      await assertMatchesTorch(ckpt, await loadExpected(dir, name));
    } finally {
      await ckpt.close();
    }
  }
});

test("torch's pre-1.6 format is refused with what to do about it", async (t) => {
  const dir = await torchFixtures(t);
  if (dir === undefined) return;
  const file = join(dir, 'legacy.ckpt');
  for (const open of [openTorchCheckpoint, openCheckpoint]) {
    await assert.rejects(open(file), (err: unknown) => {
      assert.ok(err instanceof CheckpointError);
      assert.equal(err.code, 'checkpoint_invalid');
      assert.equal(err.file, file);
      assert.match(err.message, /before torch 1\.6/);
      assert.match(err.message, /safetensors/);
      return true;
    });
  }
});
