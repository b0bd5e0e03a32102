import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requireFreeSpace, StagingFolder, sweepStaleStaging } from './staging.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lb-staging-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a staged folder appears under its name only when committed, complete', async () => {
  const staging = await StagingFolder.create(root, 'm1');
  await writeFile(join(staging.dir, 'model_index.json'), '{}');
  assert.deepEqual((await readdir(root)).filter((n) => !n.startsWith('.')), [], 'nothing visible while staging');
  await staging.commit(join(root, 'm1'), false);
  assert.deepEqual(await readdir(join(root, 'm1')), ['model_index.json'], 'the owner marker is gone, the files are there');
  assert.deepEqual((await readdir(root)).sort(), ['m1']);
});

test('an existing model is kept unless replace is asked for', async () => {
  await mkdir(join(root, 'm2'));
  await writeFile(join(root, 'm2', 'old.txt'), 'old');
  const first = await StagingFolder.create(root, 'm2');
  await writeFile(join(first.dir, 'new.txt'), 'new');
  await assert.rejects(first.commit(join(root, 'm2'), false), /already exists/);
  assert.equal(await readFile(join(root, 'm2', 'old.txt'), 'utf8'), 'old');
  await first.commit(join(root, 'm2'), true);
  assert.deepEqual(await readdir(join(root, 'm2')), ['new.txt']);
  assert.equal((await readdir(root)).filter((n) => n.includes('importing')).length, 0, 'no leftovers');
});

test("sweeping removes staging folders of dead processes and keeps this process's", async () => {
  const mine = await StagingFolder.create(root, 'live');
  const dead = await StagingFolder.create(root, 'dead');
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  await writeFile(join(dead.dir, '.owner'), child.stdout.trim());
  assert.equal(await sweepStaleStaging(root), 1);
  const left = await readdir(root);
  assert.ok(left.some((n) => n.startsWith('.importing-live-')));
  assert.ok(!left.some((n) => n.startsWith('.importing-dead-')));
  await mine.discard();
});

test('free space is checked before writing', async () => {
  await requireFreeSpace(root, 1024);
  await assert.rejects(requireFreeSpace(root, 2 ** 60), (err: Error & { code?: string }) => err.code === 'import_failed' && /Not enough disk space/.test(err.message));
});
