import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { normalizedWeights, parsePromptField, parsePromptWeights, PromptSyntaxError, splitMixedPrompt, type PromptPiece } from './prompt-syntax.js';

function close(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} vs ${expected}`);
}

function weights(pieces: PromptPiece[]): Array<[string, number] | 'BREAK'> {
  return pieces.map((p) => (p === 'BREAK' ? p : [p.text, Number(p.weight.toFixed(10))]));
}

test('plain prompts stay one run of text at weight 1, colons included', () => {
  assert.deepEqual(parsePromptWeights('a red barn, style: photo'), [{ text: 'a red barn, style: photo', weight: 1 }]);
  assert.deepEqual(parsePromptWeights(''), []);
});

test('round, square, explicit and nested weights multiply like A1111', () => {
  assert.deepEqual(weights(parsePromptWeights('a (red) barn')), [['a ', 1], ['red', 1.1], [' barn', 1]]);
  assert.deepEqual(weights(parsePromptWeights('((red))')), [['red', 1.21]]);
  const square = parsePromptWeights('[red]')[0];
  assert.ok(square !== undefined && square !== 'BREAK');
  close(square.weight, 1 / 1.1);
  assert.deepEqual(weights(parsePromptWeights('(red:1.3)')), [['red', 1.3]]);
  assert.deepEqual(weights(parsePromptWeights('(red: 0.5 )')), [['red', 0.5]]);
  assert.deepEqual(weights(parsePromptWeights('((a (b:1.5)) c:2)')), [['a ', 2.2], ['b', 3.3], [' c', 2]]);
  assert.deepEqual(weights(parsePromptWeights('[(red:2)]')), [['red', Number((2 / 1.1).toFixed(10))]]);
  // Equal neighbours merge, so "(a:1)" is the same run as plain text.
  assert.deepEqual(weights(parsePromptWeights('x (a:1) y')), [['x a y', 1]]);
});

test('escapes give the characters themselves; BREAK splits chunks', () => {
  assert.deepEqual(parsePromptWeights('a \\(b\\) \\[c\\] d\\:e \\| \\\\ f\\x'), [{ text: 'a (b) [c] d:e | \\ f\\x', weight: 1 }]);
  assert.deepEqual(weights(parsePromptWeights('a cat BREAK (a dog) BREAKFAST')), [['a cat', 1], 'BREAK', ['a dog', 1.1], [' BREAKFAST', 1]]);
});

function syntaxError(fn: () => unknown, position: number, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PromptSyntaxError, String(e));
    assert.ok(e instanceof BridgeError);
    assert.equal(e.code, 'prompt_syntax');
    assert.equal(e.position, position, e.message);
    assert.match(e.message, pattern);
    assert.match(e.message, new RegExp(`character ${position + 1}\\b`));
    return true;
  });
}

test('bad weight syntax is an error pointing at the position', () => {
  syntaxError(() => parsePromptWeights('a (red barn'), 2, /'\(' is never closed/);
  syntaxError(() => parsePromptWeights('a red) barn'), 5, /'\)' has no matching '\('/);
  syntaxError(() => parsePromptWeights('a [red) barn'), 6, /closes the '\[' opened at character 3/);
  syntaxError(() => parsePromptWeights('((red:abc)'), 6, /weight "abc" is not a number/);
  syntaxError(() => parsePromptWeights('(red:1,3)'), 5, /weight "1,3" is not a number/);
  syntaxError(() => parsePromptWeights('(red:)'), 5, /weight after ':' is missing/);
  syntaxError(() => parsePromptWeights('x (red:1.3'), 2, /'\(' is never closed/);
  syntaxError(() => parsePromptWeights('[cat:dog:0.5]'), 4, /prompt editing/);
  syntaxError(() => parsePromptWeights('(a|b)'), 2, /'\|' inside/);
  assert.throws(() => parsePromptWeights('(a', 'negative'), (e: unknown) => e instanceof BridgeError && e.field === 'negative');
});

test('mixes split on top-level |, weights default to 1 and are normalised', () => {
  const parts = splitMixedPrompt('a frog :0.7 | a stilt house :0.3');
  assert.deepEqual(parts.map((p) => [p.text, p.weight, p.start]), [['a frog ', 0.7, 0], [' a stilt house ', 0.3, 13]]);
  assert.deepEqual(normalizedWeights(splitMixedPrompt('red :3 | blue')), [0.75, 0.25]);
  assert.deepEqual(splitMixedPrompt('red \\| blue').length, 1);
  assert.deepEqual(splitMixedPrompt('a frog :0.7').map((p) => [p.text, p.weight]), [['a frog :0.7', 1]]);
  assert.deepEqual(splitMixedPrompt('style: photo | x').map((p) => p.text), ['style: photo ', ' x']);
  assert.deepEqual(splitMixedPrompt('poster 16:9 | x').map((p) => [p.text, p.weight]), [['poster 16', 9], [' x', 1]]);
  const escaped = parsePromptField('poster 16\\:9 | x').parts[0]!;
  assert.deepEqual([escaped.weight, escaped.pieces], [1, [{ text: 'poster 16:9 ', weight: 1 }]]);
  // Positions inside later parts are those of the whole field.
  syntaxError(() => parsePromptField('red :1 | (blue'), 9, /never closed/);
});

test('bad mixes are errors pointing at the position', () => {
  syntaxError(() => splitMixedPrompt('red :0.5 | '), 10, /empty/);
  syntaxError(() => splitMixedPrompt('| blue'), 0, /empty/);
  syntaxError(() => splitMixedPrompt('red :0.5 | :0.5'), 10, /empty/);
  syntaxError(() => splitMixedPrompt('red :1.2.3 | blue'), 5, /weight "1.2.3" is not a number/);
  syntaxError(() => splitMixedPrompt('red :1 | blue :-1'), 0, /add up to 0/);
});
