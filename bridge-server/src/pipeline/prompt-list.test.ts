import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { parsePromptList } from './prompt-list.js';

test('prompt lists: plain lines, JSON lines, comments and blanks', () => {
  const entries = parsePromptList('\uFEFF# colours\nred barn\r\n\n  {"prompt": "blue", "seed": 3, "steps": 2}\n(green:1.2) | teal\n');
  assert.deepEqual(entries, [
    { line: 2, params: { prompt: 'red barn' } },
    { line: 4, params: { prompt: 'blue', seed: 3, steps: 2 } },
    { line: 5, params: { prompt: '(green:1.2) | teal' } },
  ]);
});

test('prompt lists: errors name the line and the character', () => {
  const fails = (text: string, pattern: RegExp, code = 'invalid_field') =>
    assert.throws(() => parsePromptList(text), (e: unknown) => {
      assert.ok(e instanceof BridgeError);
      assert.equal(e.code, code);
      assert.match(e.message, pattern);
      return true;
    });
  fails('', /empty/);
  fails('# only a comment\n\n', /empty/);
  fails('red\n{"prompt": "x",}', /line 2, character 16: not valid JSON/);
  fails('{"prompt": "x", "sed": 1}', /line 1: unknown field "sed"/);
  fails('{"steps": 3}', /line 1: "prompt" must be a non-empty string/);
  fails('x\n(a', /line 2: prompt: '\(' is never closed at character 1/, 'prompt_syntax');
  fails('ok\nfine\na (red:x) barn', /line 3: prompt: weight "x" is not a number at character 8/, 'prompt_syntax');
});
