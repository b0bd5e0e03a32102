#!/usr/bin/env node
// Writes the language-neutral export of the protocol (JSON Schema, frame layout, fixtures) from
// the built TypeScript in shared/dist. Run after `npm run build`; commit the result.
// shared/src/fixtures/export-files.test.ts fails when the committed files differ from a fresh export.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const shared = resolve(import.meta.dirname, '..');
const { buildExportFiles, EXPORT_FOLDERS } = await import(join(shared, 'dist/fixtures/export-files.js'));

const files = buildExportFiles();
for (const folder of EXPORT_FOLDERS) {
  mkdirSync(join(shared, folder), { recursive: true });
  for (const name of readdirSync(join(shared, folder))) {
    if (!files.has(`${folder}/${name}`)) rmSync(join(shared, folder, name));
  }
}
for (const [path, content] of files) {
  mkdirSync(dirname(join(shared, path)), { recursive: true });
  writeFileSync(join(shared, path), content);
}
console.log(`Wrote ${files.size} files under ${shared}`);
