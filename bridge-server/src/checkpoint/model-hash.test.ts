import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { a1111NetworkShortHash, a1111ShortHash, hashModelFile, legacyModelHash } from './model-hash.js';
import { writeSafetensors } from './safetensors-writer.js';
import { findTorchPython, runPython } from './testing/torch-python.js';

/** A1111's own three functions (modules/hashes.py, modules/sd_models.py), as the reference. */
const A1111_HASHES = String.raw`
import hashlib, json, sys
def calculate_sha256(filename):
    hash_sha256 = hashlib.sha256()
    blksize = 1024 * 1024
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(blksize), b""):
            hash_sha256.update(chunk)
    return hash_sha256.hexdigest()
def model_hash(filename):
    with open(filename, "rb") as file:
        m = hashlib.sha256()
        file.seek(0x100000)
        m.update(file.read(0x10000))
        return m.hexdigest()[0:8]
def addnet_hash_safetensors(b):
    hash_sha256 = hashlib.sha256()
    blksize = 1024 * 1024
    b.seek(0)
    header = b.read(8)
    n = int.from_bytes(header, "little")
    offset = n + 8
    b.seek(offset)
    for chunk in iter(lambda: b.read(blksize), b""):
        hash_sha256.update(chunk)
    return hash_sha256.hexdigest()
out = {}
for f in sys.argv[1:]:
    r = {'sha256': calculate_sha256(f), 'legacy': model_hash(f)}
    if f.endswith('.safetensors'):
        with open(f, 'rb') as b:
            r['addnet'] = addnet_hash_safetensors(b)
    out[f] = r
print(json.dumps(out))
`;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-hash-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lora(name: string, metadata: Record<string, string>, data: Uint8Array): Promise<string> {
  const file = join(dir, name);
  await writeSafetensors(file, [{ key: 'lora_unet_x.lora_down.weight', dtype: 'F16', shape: [data.byteLength / 2], data }], metadata);
  return file;
}

test("hashes equal A1111's: sha256, the legacy 8-hex model hash, and the LoRA addnet hash", async () => {
  const weights = randomBytes(1_400_000);
  const files = [
    await lora('a.safetensors', { ss_output_name: 'a' }, weights),
    await lora('b.safetensors', { ss_output_name: 'renamed', ss_tag_frequency: '{"x": 1}' }, weights),
    join(dir, 'small.ckpt'),
    join(dir, 'edge.ckpt'),
    join(dir, 'empty.ckpt'),
  ];
  await writeFile(files[2]!, randomBytes(1000));
  await writeFile(files[3]!, randomBytes(0x100000 + 123));
  await writeFile(files[4]!, new Uint8Array(0));
  const python = (await findTorchPython())?.python ?? 'python3';
  const ref = JSON.parse((await runPython(python, A1111_HASHES, files)).stdout) as Record<string, { sha256: string; legacy: string; addnet?: string }>;
  for (const file of files) {
    const want = ref[file]!;
    const got = await hashModelFile(file, { addnet: file.endsWith('.safetensors') });
    assert.equal(got.sha256, want.sha256, file);
    assert.equal(got.legacy, want.legacy, file);
    assert.equal(got.addnet, want.addnet, file);
    assert.equal(await legacyModelHash(file), want.legacy, file);
  }
  // Metadata edits change the file hash but not the addnet hash.
  assert.notEqual(ref[files[0]!]!.sha256, ref[files[1]!]!.sha256);
  assert.equal(ref[files[0]!]!.addnet, ref[files[1]!]!.addnet);
  assert.equal(ref[files[2]!]!.legacy, 'e3b0c442', 'a file under 1 MiB hashes no bytes');
  assert.equal(a1111ShortHash(ref[files[0]!]!.sha256), ref[files[0]!]!.sha256.slice(0, 10));
  assert.equal(a1111NetworkShortHash(ref[files[0]!]!.addnet ?? ''), ref[files[0]!]!.addnet?.slice(0, 12));
});

test('hashing reports progress to the end and stops when aborted', async () => {
  const file = join(dir, 'progress.bin');
  await writeFile(file, randomBytes(20 * 1024 * 1024 + 5));
  const seen: number[] = [];
  await hashModelFile(file, { onProgress: (done, total) => {
    assert.equal(total, 20 * 1024 * 1024 + 5);
    seen.push(done);
  } });
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  assert.equal(seen.at(-1), 20 * 1024 * 1024 + 5);
  const abort = new AbortController();
  await assert.rejects(
    hashModelFile(file, { signal: abort.signal, onProgress: () => abort.abort() }),
    { name: 'AbortError' },
  );
  await assert.rejects(hashModelFile(join(dir, 'small-not-st.bin'), { addnet: true }), { code: 'ENOENT' });
  await writeFile(join(dir, 'tiny.safetensors'), new Uint8Array([1, 2, 3]));
  await assert.rejects(hashModelFile(join(dir, 'tiny.safetensors'), { addnet: true }), { code: 'checkpoint_invalid' });
});
