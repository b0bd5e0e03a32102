import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { bundledClipTokenizerDir } from './bundled.js';
import { parseVocabJson } from './vocab-json.js';

test('the in-place scanner agrees with JSON.parse on the whole CLIP vocabulary', async () => {
  const text = await readFile(join(bundledClipTokenizerDir(), 'vocab.json'), 'utf8');
  const reference = JSON.parse(text) as Record<string, number>;
  const vocab = parseVocabJson(text, 'vocab.json');
  const keys = Object.keys(reference);
  assert.equal(vocab.size, keys.length);
  for (const key of keys) assert.equal(vocab.get(key), reference[key], key);
  assert.equal(vocab.get('not a token'), undefined);
  assert.equal(vocab.get('constructor'), undefined);
  assert.equal(new Map(vocab.entries()).size, keys.length);
});

test('whitespace, escapes and duplicate keys read as JSON.parse reads them', () => {
  const vocab = parseVocabJson('{\n  "a\\"b": 1,\r\n\t"\\u00e9" : 2, "x": 3, "x": 4, "\\\\": 0, "__proto__": 5\n}\n', 'v');
  assert.equal(vocab.get('a"b'), 1);
  assert.equal(vocab.get('é'), 2);
  assert.equal(vocab.get('x'), 4);
  assert.equal(vocab.get('\\'), 0);
  assert.equal(vocab.get('__proto__'), 5);
  assert.equal(vocab.size, 5);
  // Not the scanner's shape but valid JSON with integer ids: accepted through JSON.parse.
  assert.equal(parseVocabJson('{"a": 1.0, "b": 2e0}', 'v').get('b'), 2);
});

test('invalid vocabularies are tokenizer_invalid errors on the given field', () => {
  const cases: [string, RegExp][] = [
    ['{"a": 1,', /not valid JSON/],
    ['{"a": 1} x', /not valid JSON/],
    ['{"a": "1"}', /integer/],
    ['{"a": -1}', /integer/],
    ['{"a": 1.5}', /integer/],
    ['{"a": 01}', /not valid JSON/],
    ['{"a\u0001": 1}', /not valid JSON/],
    ['[1, 2]', /JSON object/],
    ['{}', /empty/],
    ['', /not valid JSON/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseVocabJson(text, 'vocab.json'),
      (err: unknown) => err instanceof BridgeError && err.code === 'tokenizer_invalid' && err.field === 'vocab.json' && message.test(err.message),
      text,
    );
  }
});
