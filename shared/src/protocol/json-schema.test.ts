/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod/v4';
import { buildMessagesJsonSchema } from './json-schema.js';

test('every message has a named $def, and the two directions are unions of them', () => {
  const schema = buildMessagesJsonSchema();
  const defs = schema['$defs'] as Record<string, Record<string, unknown>>;
  for (const name of ['Hello', 'Generate', 'Cancel', 'ListModels', 'StatusQuery', 'Welcome', 'Queued', 'Started', 'Progress', 'Preview', 'Result', 'Error', 'Cancelled', 'Done', 'Models', 'Status', 'FrameRef', 'Expand', 'Animation', 'PromptEntry', 'Limits', 'ModelSummary']) {
    assert.equal(defs[name]?.['title'], name, name);
    assert.equal('id' in (defs[name] ?? {}), false, `${name} keeps zod's non-standard "id"`);
  }
  assert.equal((defs['ClientMessage']?.['anyOf'] as unknown[]).length, 6);
  assert.equal((defs['ServerMessage']?.['anyOf'] as unknown[]).length, 11);
  assert.equal(defs['Generate']?.['additionalProperties'], false);
  assert.equal(defs['Hello']?.['additionalProperties'], undefined);
  const generate = defs['Generate']?.['properties'] as Record<string, Record<string, unknown>>;
  assert.deepEqual({ ...generate['width'], description: undefined }, { description: undefined, type: 'integer', minimum: 64, maximum: 8192, multipleOf: 8 });
  assert.match(String(generate['width']?.['description']), /native size/);
  const required = defs['Generate']?.['required'] as string[];
  assert.equal(required.includes('width') || required.includes('height'), false, 'width/height are optional');
  assert.equal(required.includes('prompt'), true);
  assert.equal(generate['batch']?.['default'], 1);
});

test('schema names stay out of zod\'s global registry', () => {
  // Another copy of this package, or any code naming a schema "Error", must not make import throw.
  assert.doesNotThrow(() => z.globalRegistry.add(z.string(), { id: 'Error' }));
  assert.doesNotThrow(() => z.globalRegistry.add(z.string(), { id: 'Generate' }));
});
