import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openSafetensors } from './safetensors.js';
import { writeSafetensors, type SafetensorsTensorToWrite } from './safetensors-writer.js';
import { assertMatchesTorch } from './testing/assert-tensors.js';
import { loadExpected, torchFixtures } from './testing/torch-fixtures.js';
import { runTorchScript } from './testing/torch-python.js';

test('safetensors written after the spec by Python read back exactly as torch holds them, in any order', async (t) => {
  const dir = await torchFixtures(t);
  if (dir === undefined) return;
  const expected = await loadExpected(dir, 'plain');
  for (const name of ['plain.safetensors', 'scrambled.safetensors']) {
    const file = await openSafetensors(join(dir, name));
    try {
      await assertMatchesTorch(file, expected);
      // keys() lists tensors in the order of their bytes in the file.
      const begins = file.keys().map((k) => file.entry(k)?.begin ?? -1);
      assert.deepEqual(begins, [...begins].sort((a, b) => a - b), `${name}: key order`);
    } finally {
      await file.close();
    }
  }
  const withMeta = await openSafetensors(join(dir, 'plain.safetensors'));
  assert.deepEqual({ ...withMeta.metadata }, { format: 'pt', ss_network_dim: '4' });
  assert.equal(withMeta.dataOffset, 8 + withMeta.headerLength);
  await withMeta.close();
});

/** An independent reader (Python, after the spec) checks our writer's file against torch's bytes. */
const VERIFY_WRITTEN = String.raw`
import json, struct, sys
path, expected_dir = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
assert (8 + n) % 8 == 0, 'data area not 8-aligned'
header = json.loads(data[8:8 + n].decode('utf-8'))
meta = header.pop('__metadata__', None)
manifest = json.load(open(expected_dir + '/plain.expected.json'))
raw = open(expected_dir + '/plain.raw.bin', 'rb').read()
size = {'F64': 8, 'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8, 'I32': 4, 'I16': 2, 'I8': 1, 'U8': 1, 'BOOL': 1}
assert sorted(header) == sorted(manifest), 'keys differ'
end = 0
for key, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
    want = manifest[key]
    b, e = info['data_offsets']
    assert b == end, key + ': gap or overlap'
    assert b % size[info['dtype']] == 0, key + ': misaligned'
    assert info['dtype'] == want['dtype'] and info['shape'] == want['shape'], key
    o, l = want['raw']
    assert data[8 + n + b:8 + n + e] == raw[o:o + l], key + ': bytes differ'
    end = e
assert 8 + n + end == len(data), 'trailing bytes'
print(json.dumps(meta))
`;

test('writeSafetensors: a file an independent reader accepts, aligned and sorted like the reference writer', async (t) => {
  const dir = await torchFixtures(t);
  if (dir === undefined) return;
  const expected = await loadExpected(dir, 'plain');
  const out = await mkdtemp(join(tmpdir(), 'lb-st-'));
  try {
    const file = join(out, 'written.safetensors');
    const tensors: SafetensorsTensorToWrite[] = [...expected].map(([key, e], i) => ({
      key,
      dtype: e.dtype,
      shape: e.shape,
      // Half of them lazily, as a baking merge gives them.
      data: i % 2 === 0 ? e.raw : async () => e.raw,
    }));
    const progress: number[] = [];
    await writeSafetensors(file, tensors, { format: 'pt', note: 'ünïcode' }, { onProgress: (done) => progress.push(done) });
    const { stdout } = await runTorchScript(VERIFY_WRITTEN, [file, dir]);
    assert.deepEqual(JSON.parse(stdout), { format: 'pt', note: 'ünïcode' });
    assert.equal(progress.length, tensors.length);
    assert.equal(progress.at(-1), [...expected.values()].reduce((s, e) => s + e.raw.byteLength, 0));
    const back = await openSafetensors(file);
    try {
      await assertMatchesTorch(back, expected);
    } finally {
      await back.close();
    }
    assert.deepEqual(await readdir(out), ['written.safetensors'], 'no temporary file left');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('writeSafetensors leaves nothing behind when a tensor fails, and refuses inconsistent input', async () => {
  const out = await mkdtemp(join(tmpdir(), 'lb-st-'));
  try {
    const file = join(out, 'model.safetensors');
    const ok = { key: 'a', dtype: 'F32' as const, shape: [2], data: new Uint8Array(8) };
    await assert.rejects(
      writeSafetensors(file, [ok, { key: 'b', dtype: 'F16', shape: [4], data: () => Promise.reject(new Error('merge failed')) }]),
      /merge failed/,
    );
    assert.deepEqual(await readdir(out), []);
    await assert.rejects(writeSafetensors(file, [{ ...ok, data: new Uint8Array(7) }]), { code: 'invalid_field' });
    await assert.rejects(writeSafetensors(file, [ok, ok]), /given twice/);
    await assert.rejects(writeSafetensors(file, [{ ...ok, key: '__metadata__' }]), { code: 'invalid_field' });
    await assert.rejects(writeSafetensors(file, [{ ...ok, shape: [-2] }]), { code: 'invalid_field' });
    await assert.rejects(writeSafetensors(file, [{ key: 'c', dtype: 'F32', shape: [3], data: () => new Uint8Array(4) }]), /gave 4 bytes/);
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(writeSafetensors(file, [ok], {}, { signal: abort.signal }), { name: 'AbortError' });
    assert.deepEqual(await readdir(out), []);
    // An existing file is replaced only by a complete new one.
    await writeSafetensors(file, [ok]);
    const before = await readFile(file);
    await assert.rejects(writeSafetensors(file, [{ key: 'x', dtype: 'F32', shape: [1], data: () => { throw new Error('boom'); } }]), /boom/);
    assert.deepEqual(await readFile(file), before);
    assert.equal((await stat(file)).size, before.byteLength);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('writeSafetensors: empty and 0-dim tensors, no metadata, header padded to 8', async () => {
  const out = await mkdtemp(join(tmpdir(), 'lb-st-'));
  try {
    const file = join(out, 'lora.safetensors');
    const alpha = new Uint8Array(new Float32Array([8]).buffer);
    const down = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff]).buffer); // 1, -2, min subnormal, max
    await writeSafetensors(file, [
      { key: 'lora_unet_x.alpha', dtype: 'F32', shape: [], data: alpha },
      { key: 'lora_unet_x.lora_down.weight', dtype: 'F16', shape: [2, 2], data: down },
      { key: 'nothing', dtype: 'BF16', shape: [0, 4], data: new Uint8Array(0) },
    ]);
    const bytes = await readFile(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    assert.equal((8 + headerLength) % 8, 0);
    assert.equal(bytes[8 + headerLength - 1] === 0x20 || bytes[8 + headerLength - 1] === 0x7d, true);
    assert.equal(JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')).__metadata__, undefined);
    const st = await openSafetensors(file);
    try {
      assert.deepEqual([...(await st.readFloat32('lora_unet_x.alpha'))], [8]);
      assert.deepEqual([...(await st.readFloat32('lora_unet_x.lora_down.weight'))], [1, -2, 2 ** -24, 65504]);
      assert.equal((await st.readFloat32('nothing')).length, 0);
      assert.deepEqual(st.keys(), ['lora_unet_x.alpha', 'lora_unet_x.lora_down.weight', 'nothing']);
    } finally {
      await st.close();
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
