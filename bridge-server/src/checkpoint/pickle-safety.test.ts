import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CheckpointError } from './checkpoint-error.js';
import { openCheckpoint } from './open-checkpoint.js';
import { EXPECTED_REFUSALS, MALICIOUS_SCRIPT, MALICIOUS_TORCH_SCRIPT } from './testing/malicious-pickles.js';
import { findTorchPython, requireTorch, runPython, runTorchScript } from './testing/torch-python.js';
import { openTorchCheckpoint } from './torch-checkpoint.js';

let work = '';
let files = '';
let markers = '';
let python = 'python3';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lb-pickle-'));
  files = join(work, 'files');
  markers = join(work, 'markers');
  await mkdir(files);
  await mkdir(markers);
  // Any Python makes these (no torch needed): the attack is plain pickle.
  python = (await findTorchPython())?.python ?? 'python3';
  await runPython(python, MALICIOUS_SCRIPT, [files, markers]);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

function assertNothingRan(): Promise<void> {
  return readdir(markers).then((left) => assert.deepEqual(left, [], 'a payload ran'));
}

test('malicious pickles are refused naming the global, and nothing in them runs', async () => {
  for (const [name, expected] of EXPECTED_REFUSALS) {
    const file = join(files, `${name}.ckpt`);
    for (const open of [openTorchCheckpoint, openCheckpoint]) {
      await assert.rejects(open(file), (err: unknown) => {
        assert.ok(err instanceof CheckpointError, `${name}: ${String(err)}`);
        assert.equal(err.code, 'checkpoint_unsafe', `${name}: ${err.message}`);
        assert.equal(err.file, file);
        assert.equal(err.key, 'archive/data.pkl');
        if (typeof expected === 'string') assert.ok(err.message.includes(`"${expected}"`), `${name}: ${err.message}`);
        else assert.match(err.message, expected, name);
        assert.match(err.message, /nothing from the file was run/);
        return true;
      });
    }
  }
  await assertNothingRan();
});

test('copyreg extension codes are refused as unreadable', async () => {
  await assert.rejects(openCheckpoint(join(files, 'ext-code.ckpt')), { code: 'checkpoint_invalid', message: /extension codes/ });
  await assertNothingRan();
});

test('control: the same file under an unrestricted unpickler does run its payload', async () => {
  const file = join(files, 'os-system.ckpt');
  await runPython(python, 'import pickle, sys, zipfile\npickle.loads(zipfile.ZipFile(sys.argv[1]).read("archive/data.pkl"))\n', [file]);
  assert.ok(existsSync(join(markers, 'os-system')), 'the payload is live');
  await rm(join(markers, 'os-system'));
  // Ours, again, after the control: still refused, still nothing.
  await assert.rejects(openCheckpoint(file), { code: 'checkpoint_unsafe' });
  await assertNothingRan();
});

test('a payload saved by torch.save beside real tensors is refused', async (t) => {
  if ((await requireTorch(t)) === undefined) return;
  await runTorchScript(MALICIOUS_TORCH_SCRIPT, [files, markers]);
  await assert.rejects(openCheckpoint(join(files, 'torch-save.ckpt')), (err: unknown) => {
    assert.ok(err instanceof CheckpointError);
    assert.equal(err.code, 'checkpoint_unsafe');
    assert.ok(err.message.includes('"posix.system"'), err.message);
    return true;
  });
  await assertNothingRan();
});
