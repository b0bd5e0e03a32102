import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hfBasicClean } from './normalize.js';
import { splitClipWords } from './pre-tokenize.js';

test('whitespace: tabs, newlines, NBSP, ideographic space and line separators become single spaces', () => {
  assert.equal(hfBasicClean('  A\tB\nC\r\nD  '), 'a b c d');
  assert.equal(hfBasicClean('a\u00a0b\u3000c\u2028d\u2029e'), 'a b c d e');
  assert.equal(hfBasicClean(' \n\t '), '');
});

test('control, format, private-use and U+FFFD characters are dropped without a gap', () => {
  assert.equal(hfBasicClean('a\u0000b\u0007c\u200bd\u00ade\u200df\ue000g\ufffdh'), 'abcdefgh');
  assert.equal(hfBasicClean('lone \ud800 surrogate'), 'lone surrogate');
});

test('CJK ideographs are spaced apart; kana and Hangul are not', () => {
  assert.equal(hfBasicClean('東京タワー'), '東 京 タワー');
  assert.equal(hfBasicClean('한국어'), '한국어');
  assert.equal(hfBasicClean('a中b'), 'a 中 b');
});

test('NFC and Python-style lower-casing', () => {
  assert.equal(hfBasicClean('Cafe\u0301'), 'caf\u00e9');
  assert.equal(hfBasicClean('ΟΔΟΣ ΣΑ'), 'οδος σα'); // final sigma only at the end of a word
  assert.equal(hfBasicClean('İ'), 'i\u0307');
  assert.equal(hfBasicClean('ＡＢ'), 'ａｂ'); // NFC keeps full-width forms (NFKC would not)
});

test('CLIP word split', () => {
  assert.deepEqual(splitClipWords("it's they're"), ['it', "'s", 'they', "'re"]);
  assert.deepEqual(splitClipWords('a1234b'), ['a', '1', '2', '3', '4', 'b']);
  assert.deepEqual(splitClipWords('wow!!?... ok'), ['wow', '!!?...', 'ok']);
  assert.deepEqual(splitClipWords('<|endoftext|>x'), ['<|endoftext|>', 'x']);
  assert.deepEqual(splitClipWords("don\u2019t"), ['don', '\u2019', 't']);
  assert.deepEqual(splitClipWords("it'\u017f"), ['it', "'\u017f"]);
  assert.deepEqual(splitClipWords('x\u0345y !\u0345!'), ['x', 'y', '!', '!']);
});
