#!/usr/bin/env node
// Runs every test of the workspace: node's test runner over the compiled *.test.js files of each
// package and of test/, then the GIMP plug-in's Python unit tests. Exit code is non-zero if any fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const testRoots = ['shared/dist', 'bridge-server/dist', 'plugins/photoshop/dist', 'test/dist'];
const only = process.argv.slice(2);

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

let files = testRoots.flatMap((r) => collect(join(root, r), []));
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
let failed = false;
if (files.length > 0) {
  const res = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
    cwd: root,
    stdio: 'inherit',
  });
  failed ||= res.status !== 0;
}

const gimpTests = join(root, 'plugins/gimp/tests');
if (only.length === 0 && existsSync(gimpTests)) {
  const res = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', gimpTests, '-t', join(root, 'plugins/gimp'), '-v'], {
    cwd: root,
    stdio: 'inherit',
  });
  failed ||= res.status !== 0;
}
process.exit(failed ? 1 : 0);
