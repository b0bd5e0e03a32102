/// <reference types="node" />
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CATALOG } from '../errors.js';
import { sharedPackageRoot } from '../testing/package-root.js';
import { CLIENT_MESSAGE_TYPES } from './client-messages.js';
import { FRAME_FIELDS } from './frame-layout.js';
import { DEFAULT_LIMITS } from './limits.js';
import { parseClientMessage, parseServerMessage } from './parse.js';
import { SERVER_MESSAGE_TYPES } from './server-messages.js';

// PROTOCOL.md is written by hand; these checks keep it from drifting from the code.
const doc = readFileSync(join(sharedPackageRoot(), 'PROTOCOL.md'), 'utf8');

function parseEither(value: unknown): unknown {
  try {
    return parseClientMessage(value);
  } catch {
    return parseServerMessage(value);
  }
}

test('every ```json example in PROTOCOL.md is a valid message', () => {
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  assert.ok(blocks.length >= 15, `only ${blocks.length} examples`);
  for (const block of blocks) assert.doesNotThrow(() => parseEither(JSON.parse(block)), block);
});

test('the example session parses line by line in its direction', () => {
  const lines = doc.split('\n').filter((l) => /^[→←] \{/.test(l));
  assert.ok(lines.length >= 15);
  for (const line of lines) {
    const json = line.slice(2);
    if (line.startsWith('→')) parseClientMessage(json);
    else parseServerMessage(json);
  }
});

test('PROTOCOL.md covers every message type, error code, frame field and limit', () => {
  for (const type of new Set([...CLIENT_MESSAGE_TYPES, ...SERVER_MESSAGE_TYPES])) {
    assert.match(doc, new RegExp(`^### \`${type}\`$`, 'm'), `message ${type}`);
  }
  for (const code of Object.keys(ERROR_CATALOG)) {
    assert.match(doc, new RegExp(`^\\| \`${code}\` \\|`, 'm'), `error code ${code}`);
  }
  for (const field of FRAME_FIELDS) {
    assert.match(doc, new RegExp(`^\\| ${field.offset} \\| [^|]+ \\| [^|]+ \\| \`${field.name}\` \\|`, 'm'), `frame field ${field.name}`);
  }
  for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
    assert.match(doc, new RegExp(`^\\| \`${name}\` \\| ${value}\\b`, 'm'), `limit ${name}`);
    assert.match(doc, new RegExp(`"${name}": ${value}\\b`), `welcome example ${name}`);
  }
});
