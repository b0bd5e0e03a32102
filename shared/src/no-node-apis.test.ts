/// <reference types="node" />
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { sharedPackageRoot } from './testing/package-root.js';

// The Photoshop UXP panel bundles shared/, so library code must not touch Node. Tests compile
// with Node's types in scope, which would hide such a use from tsc; this test catches it.
const FORBIDDEN: [RegExp, string][] = [
  [/from\s+['"](node:|fs|path|crypto|buffer|url|os|child_process|stream|util)['"/]/, 'a Node module import'],
  [/\brequire\s*\(/, 'require()'],
  [/\bBuffer\b/, 'Buffer'],
  [/\bprocess\./, 'process'],
  [/\b__dirname\b|\b__filename\b|import\.meta\.(dirname|filename)/, 'a module path'],
  [/\bsetImmediate\b/, 'setImmediate'],
];

function librarySources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'testing') librarySources(path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

test('library code in shared/src uses no Node APIs', () => {
  const src = join(sharedPackageRoot(), 'src');
  const files = librarySources(src);
  assert.ok(files.length > 10);
  for (const file of files) {
    const code = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
    for (const [pattern, what] of FORBIDDEN) {
      assert.doesNotMatch(code, pattern, `${relative(src, file)} uses ${what}`);
    }
  }
});
