import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CheckpointError } from './checkpoint-error.js';
import { assertMatchesTorch } from './testing/assert-tensors.js';
import { PY_HELPERS } from './testing/python-helpers.js';
import { loadExpected, torchFixtures } from './testing/torch-fixtures.js';
import { runTorchScript } from './testing/torch-python.js';
import { openTorchCheckpoint } from './torch-checkpoint.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-ckpt-bad-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rejectsWith(file: string, key: string | undefined, pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CheckpointError, String(err));
    assert.equal(err.code, 'checkpoint_invalid', err.message);
    assert.equal(err.file, file);
    assert.equal(err.key, key, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

/** Variants of a torch checkpoint, damaged the way disks, downloads and other tools damage them. */
const DAMAGE = String.raw`
import sys, zipfile, pickle, types, io, struct
src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z:
    entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
root = entries[0][0].split('/')[0]
def rezip(name, items, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(out + '/' + name, 'w', compression=method) as z:
        for n, d in items:
            z.writestr(n, d)
rezip('missing-storage.ckpt', [(n, d) for n, d in entries if n != root + '/data/0'])
rezip('short-storage.ckpt', [(n, d[:-4] if n == root + '/data/0' else d) for n, d in entries])
rezip('two-pickles.ckpt', entries + [('other/data.pkl', b'\x80\x02}.')])
rezip('no-pickle.ckpt', [(n, d) for n, d in entries if not n.endswith('data.pkl')])
rezip('big-endian.ckpt', entries + [(root + '/byteorder', b'big')])
# A view reaching past its storage: torch's names, written without torch.
utils = types.ModuleType('torch._utils')
def _rebuild_tensor_v2(*a):
    pass
_rebuild_tensor_v2.__module__ = 'torch._utils'
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
class FloatStorage:
    pass
FloatStorage.__module__ = 'torch'
mod = types.ModuleType('torch')
mod.FloatStorage = FloatStorage
sys.modules['torch'], sys.modules['torch._utils'] = mod, utils
class Ref:
    pass
class T:
    def __init__(self, offset, shape, stride):
        self.args = (Ref(), offset, shape, stride, False, {})
    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)
class P(pickle.Pickler):
    def persistent_id(self, obj):
        return ('storage', FloatStorage, '0', 'cpu', 6) if isinstance(obj, Ref) else None
buf = io.BytesIO()
P(buf, protocol=2).dump({'ok': T(0, (2, 3), (3, 1)), 'beyond': T(2, (2, 3), (3, 1))})
rezip('view-beyond.ckpt', [('archive/data.pkl', buf.getvalue()), ('archive/data/0', struct.pack('<6f', *range(6)))])
`;

test('damaged torch checkpoints are refused, naming the file and the tensor or entry', async (t) => {
  const fixtures = await torchFixtures(t);
  if (fixtures === undefined) return;
  const src = join(fixtures, 'plain.ckpt');
  await runTorchScript(DAMAGE, [src, dir]);
  const whole = await readFile(src);
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['missing-storage.ckpt', 'w', /storage "0" has no zip entry plain\/data\/0/],
    ['short-storage.ckpt', 'w', /holds 92 bytes but the pickle says 96/],
    ['two-pickles.ckpt', undefined, /2 data\.pkl entries/],
    ['no-pickle.ckpt', undefined, /no <name>\/data\.pkl/],
    ['big-endian.ckpt', 'plain/byteorder', /big-endian/],
    ['view-beyond.ckpt', 'beyond', /reaches element 7 of a storage with 6/],
  ];
  for (const [name, key, pattern] of cases) {
    const file = join(dir, name);
    await assert.rejects(openTorchCheckpoint(file), rejectsWith(file, key, pattern));
  }
  // Cut anywhere: the zip's directory at the end is gone.
  for (const at of [100, whole.byteLength >> 1, whole.byteLength - 30, whole.byteLength - 1]) {
    const file = join(dir, `cut-${at}.ckpt`);
    await writeFile(file, whole.subarray(0, at));
    await assert.rejects(openTorchCheckpoint(file), rejectsWith(file, undefined, /end-of-central-directory/));
  }
  // A flipped bit in data.pkl fails its CRC.
  const pklAt = whole.indexOf(Buffer.from('plain/data.pkl')) + 'plain/data.pkl'.length;
  const flipped = Buffer.from(whole);
  flipped[pklAt + 100]! ^= 0x10;
  const flippedFile = join(dir, 'flipped.ckpt');
  await writeFile(flippedFile, flipped);
  await assert.rejects(openTorchCheckpoint(flippedFile), rejectsWith(flippedFile, 'plain/data.pkl', /CRC-32/));
  // A storage's local header overwritten: found when that tensor is read, named by its key.
  const local = Buffer.from(whole);
  const storageHeader = local.indexOf(Buffer.from('plain/data/1')) - 30;
  assert.equal(local.readUInt32LE(storageHeader), 0x04034b50);
  local.writeUInt32LE(0xdeadbeef, storageHeader);
  const localFile = join(dir, 'local.ckpt');
  await writeFile(localFile, local);
  const ckpt = await openTorchCheckpoint(localFile);
  try {
    const key = ckpt.keys().find((k) => ckpt.entry(k)?.storageEntry === 'plain/data/1');
    assert.ok(key !== undefined);
    await assert.rejects(ckpt.readRaw(key), rejectsWith(localFile, key, /no local zip header/));
    assert.ok((await ckpt.readFloat32('w')).length === 24, 'other tensors still read');
  } finally {
    await ckpt.close();
  }
  // A central directory said to start past the end of the file (torch always writes ZIP64 end
  // records, which then rule), or end records that disagree.
  const eocd = Buffer.from(whole);
  const at = eocd.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const at64 = eocd.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
  assert.ok(at64 > 0 && at64 < at);
  const past = Buffer.from(eocd);
  past.writeBigUInt64LE(BigInt(whole.byteLength + 10), at64 + 48);
  past.writeUInt32LE(whole.byteLength + 10, at + 16);
  const pastFile = join(dir, 'cd-past-end.ckpt');
  await writeFile(pastFile, past);
  await assert.rejects(openTorchCheckpoint(pastFile), rejectsWith(pastFile, undefined, /runs past the end/));
  eocd.writeUInt32LE(100, at + 16);
  const eocdFile = join(dir, 'eocd.ckpt');
  await writeFile(eocdFile, eocd);
  await assert.rejects(openTorchCheckpoint(eocdFile), rejectsWith(eocdFile, undefined, /end records disagree/));
});

test('TorchScript archives are refused as not being state dicts', async (t) => {
  if ((await torchFixtures(t)) === undefined) return;
  const file = join(dir, 'scripted.pt');
  await runTorchScript('import sys, torch\ntorch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), sys.argv[1])\n', [file]);
  await assert.rejects(openTorchCheckpoint(file), rejectsWith(file, undefined, /TorchScript/));
});

test('ZIP64 past 4 GiB: a sparse multi-gigabyte checkpoint reads its far storages with bounded memory', async (t) => {
  const fixtures = await torchFixtures(t);
  if (fixtures === undefined) return;
  const file = join(dir, 'far.ckpt');
  // The last storage lands past 4.5 GB; Python's zipfile reads it back as an independent check.
  await runTorchScript(
    `${PY_HELPERS}\nimport sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z:\n    entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]\n` +
      `write_zip64(sys.argv[2], entries, hole_before=len(entries) - 2, hole_bytes=4_500_000_000)\n` +
      `with zipfile.ZipFile(sys.argv[2]) as z:\n    assert [z.read(n) for n, _ in entries] == [d for _, d in entries]\n    assert z.getinfo(entries[-2][0]).header_offset > 2**32\n`,
    [join(fixtures, 'plain.ckpt'), file],
  );
  assert.ok((await stat(file)).size > 4_500_000_000);
  global.gc?.();
  const rss = process.memoryUsage().rss;
  const ckpt = await openTorchCheckpoint(file);
  try {
    await assertMatchesTorch(ckpt, await loadExpected(fixtures, 'plain'));
    const grown = process.memoryUsage().rss - rss;
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
  } finally {
    await ckpt.close();
    await rm(file);
  }
});
