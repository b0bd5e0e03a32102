import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CheckpointError } from './checkpoint-error.js';
import { detectCheckpointFormat, openCheckpoint } from './open-checkpoint.js';
import { SafetensorsFile } from './safetensors.js';
import { writeSafetensors } from './safetensors-writer.js';
import { torchFixtures } from './testing/torch-fixtures.js';
import { findTorchPython, runPython } from './testing/torch-python.js';
import { TorchCheckpoint } from './torch-checkpoint.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-open-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the reader is chosen by magic bytes, not by the extension', async (t) => {
  const st = join(dir, 'actually-safetensors.ckpt');
  await writeSafetensors(st, [{ key: 'x', dtype: 'F32', shape: [1], data: new Uint8Array(4) }]);
  const a = await openCheckpoint(st);
  assert.ok(a instanceof SafetensorsFile);
  await a.close();
  assert.equal(await detectCheckpointFormat(st), 'safetensors');
  const fixtures = await torchFixtures(t);
  if (fixtures === undefined) return;
  const zip = join(dir, 'actually-zip.safetensors');
  await copyFile(join(fixtures, 'plain.ckpt'), zip);
  const b = await openCheckpoint(zip);
  assert.ok(b instanceof TorchCheckpoint);
  await b.close();
  assert.equal(await detectCheckpointFormat(zip), 'torch-zip');
});

test('anything else is refused saying what it is', async () => {
  const python = (await findTorchPython())?.python ?? 'python3';
  await runPython(
    python,
    'import pickle, sys, tarfile, io\n' +
      'open(sys.argv[1] + "/raw.pt", "wb").write(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))\n' +
      'with tarfile.open(sys.argv[1] + "/old.tar.pt", "w") as t:\n' +
      '    data = pickle.dumps({"a": 1})\n' +
      '    info = tarfile.TarInfo("pickle"); info.size = len(data); t.addfile(info, io.BytesIO(data))\n',
    [dir],
  );
  await writeFile(join(dir, 'image.ckpt'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  await writeFile(join(dir, 'empty.ckpt'), new Uint8Array(0));
  await writeFile(join(dir, 'model.gguf'), Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60)]));
  await writeFile(join(dir, 'empty-zip.ckpt'), Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]));
  const cases: Array<[string, RegExp]> = [
    ['raw.pt', /bare Python pickle/],
    ['old.tar.pt', /old tar format/],
    ['image.ckpt', /not a checkpoint.*first bytes 89504e470d0a1a0a/],
    ['empty.ckpt', /empty/],
    ['model.gguf', /GGUF/],
    ['empty-zip.ckpt', /empty zip/],
  ];
  for (const [name, pattern] of cases) {
    const file = join(dir, name);
    await assert.rejects(openCheckpoint(file), (err: unknown) => {
      assert.ok(err instanceof CheckpointError, `${name}: ${String(err)}`);
      assert.equal(err.code, 'checkpoint_invalid');
      assert.equal(err.file, file);
      assert.match(err.message, pattern);
      return true;
    });
  }
  await mkdir(join(dir, 'folder.ckpt'));
  await assert.rejects(openCheckpoint(join(dir, 'folder.ckpt')), { code: 'checkpoint_invalid', message: /not a regular file/ });
  await assert.rejects(openCheckpoint(join(dir, 'missing.ckpt')), { code: 'model_not_found', message: /missing\.ckpt: no such file/ });
});
