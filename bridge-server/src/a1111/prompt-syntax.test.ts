import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePromptWeights } from '../pipeline/prompt-syntax.js';
import { parsePromptAttention, toBridgeSyntax } from './prompt-attention.js';
import { promptSchedule, splitAnd } from './prompt-schedule.js';

// The examples of A1111's own doctests in modules/prompt_parser.py (v1.10).

test('parse_prompt_attention: the doctest examples', () => {
  const cases: Array<[string, Array<[string, number]>]> = [
    ['normal text', [['normal text', 1.0]]],
    ['an (important) word', [['an ', 1.0], ['important', 1.1], [' word', 1.0]]],
    ['(unbalanced', [['unbalanced', 1.1]]],
    ['\\(literal\\]', [['(literal]', 1.0]]],
    ['(unnecessary)(parens)', [['unnecessaryparens', 1.1]]],
    [
      'a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).',
      [['a ', 1.0], ['house', 1.5730000000000004], [' ', 1.1], ['on', 1.0], [' a ', 1.1], ['hill', 0.55], [', sun, ', 1.1], ['sky', 1.4641000000000006], ['.', 1.1]],
    ],
  ];
  for (const [text, expected] of cases) {
    const got = parsePromptAttention(text).map((p) => (p === 'BREAK' ? ['BREAK', -1] : [p.text, p.weight]));
    assert.deepEqual(got, expected, text);
  }
  assert.deepEqual(parsePromptAttention('a BREAK b'), [{ text: 'a', weight: 1 }, 'BREAK', { text: 'b', weight: 1 }]);
});

test('A1111 prompts become our syntax with the same weights; stray brackets are text, not errors', () => {
  for (const text of ['a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).', 'smile :) and (unbalanced', 'a | b: c', 'x [y] z:1.2']) {
    const runs = (pieces: ReadonlyArray<{ text: string; weight: number } | 'BREAK'>) =>
      pieces.flatMap((p) => (p === 'BREAK' || p.text === '' ? [] : [[p.text, p.weight]]));
    assert.deepEqual(runs(parsePromptWeights(toBridgeSyntax(text))), runs(parsePromptAttention(text)), text);
  }
});

test('get_learned_conditioning_prompt_schedules: the doctest examples', () => {
  const g = (p: string) => promptSchedule(p, { steps: 10 });
  const alt = (a: string, b: string) => Array.from({ length: 10 }, (_, i) => [i + 1, i % 2 === 0 ? a : b]);
  const cases: Array<[string, unknown]> = [
    ['test', [[10, 'test']]],
    ['a [b:3]', [[3, 'a '], [10, 'a b']]],
    ['a [b: 3]', [[3, 'a '], [10, 'a b']]],
    ['a [[[b]]:2]', [[2, 'a '], [10, 'a [[b]]']]],
    ['[(a:2):3]', [[3, ''], [10, '(a:2)']]],
    ['a [b : c : 1] d', [[1, 'a b  d'], [10, 'a  c  d']]],
    ['a[b:[c:d:2]:1]e', [[1, 'abe'], [2, 'ace'], [10, 'ade']]],
    ['a [unbalanced', [[10, 'a [unbalanced']]],
    ['a [b:.5] c', [[5, 'a  c'], [10, 'a b c']]],
    ['((a][:b:c [d:3]', [[3, '((a][:b:c '], [10, '((a][:b:c d']]],
    ['[a|(b:1.1)]', alt('a', '(b:1.1)')],
    ['[fe|]male', alt('female', 'male')],
    ['[fe|||]male', Array.from({ length: 10 }, (_, i) => [i + 1, i % 4 === 0 ? 'female' : 'male'])],
  ];
  for (const [p, expected] of cases) assert.deepEqual(g(p), expected, p);
  const h = (p: string) => promptSchedule(p, { steps: 10, hiresOf: 10 });
  assert.deepEqual(h('a [b:.5] c'), [[10, 'a b c']]);
  assert.deepEqual(h('a [b:1.5] c'), [[5, 'a  c'], [10, 'a b c']]);
});

test('AND splits prompts with their weights (re_weight)', () => {
  assert.deepEqual(splitAnd('a cat AND a dog :1.5'), [{ text: 'a cat', weight: 1 }, { text: ' a dog', weight: 1.5 }]);
  assert.deepEqual(splitAnd('LANDSCAPE'), [{ text: 'LANDSCAPE', weight: 1 }]);
});
