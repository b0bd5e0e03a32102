import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BytePairEncoder } from './bpe.js';
import { bundledClipTokenizerDir } from './bundled.js';
import { BYTE_TO_CHAR, fromByteLevel, toByteLevel } from './byte-encoding.js';
import { ClipTokenizer } from './clip-tokenizer.js';
import { mergesFromLines, parseMergesFile } from './merges-text.js';

const merges = parseMergesFile(await readFile(join(bundledClipTokenizerDir(), 'merges.txt'), 'utf8'), 'merges.txt');
const bpe = new BytePairEncoder(merges);

test('byte-level alphabet: 256 distinct printable stand-ins, printable ASCII kept', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(BYTE_TO_CHAR[0x41], 'A');
  assert.equal(BYTE_TO_CHAR[0x20], '\u0120'); // space -> Ġ
  assert.equal(BYTE_TO_CHAR[0x00], '\u0100');
  assert.equal(toByteLevel('é'), 'Ã©'); // C3 A9
  assert.equal(new TextDecoder().decode(fromByteLevel(toByteLevel('東京 🔥'))), '東京 🔥');
});

test('merge ranks are line numbers of merges.txt after the header', () => {
  assert.equal(merges.size, 48894);
  assert.equal(merges.getPair('i', 'n'), 0); // line 2, the first merge
  assert.equal(merges.getPair('c', 'a'), 260);
  assert.equal(merges.getPair('a', 't</w>'), 24);
  assert.equal(merges.getPair('ca', 't</w>'), undefined);
});

// Traces checked by hand against merges.txt (rank = line number - 2):
//   cat:   c a t</w> -> (a,t</w>)=24 -> c at</w> -> (c,at</w>)=1856 -> cat</w>            (id 2368)
//   photo: p h o t o</w> -> (t,o</w>)=19 -> (h,o)=94 -> (p,ho)=304 -> (pho,to</w>)=613  (id 1125)
//   dog:   d o g</w> -> (d,o)=127 -> (do,g</w>)=1417 -> dog</w>                          (id 1929)
//   café:  c a f Ã ©</w> -> (a,f)=190 -> (c,af)=2959 -> (Ã,©</w>)=3654 -> (caf,Ã©</w>)=14792 (id 15304)
test('hand-checked BPE traces on the real merges', () => {
  assert.deepEqual(bpe.encodeWord('cat'), ['cat</w>']);
  assert.deepEqual(bpe.encodeWord('photo'), ['photo</w>']);
  assert.deepEqual(bpe.encodeWord('dog'), ['dog</w>']);
  assert.deepEqual(bpe.encodeWord(toByteLevel('café')), ['cafÃ©</w>']);
  assert.deepEqual(bpe.encodeWord('a'), ['a</w>']);
  assert.deepEqual(bpe.encodeWord(''), []);
});

test('toy vocabulary from transformers test_tokenization_clip.py: "lower newer"', () => {
  const vocab = ['l', 'o', 'w', 'e', 'r', 's', 't', 'i', 'd', 'n', 'lo', 'l</w>', 'w</w>', 'r</w>', 't</w>', 'low</w>', 'er</w>', 'lowest</w>', 'newer</w>', 'wider', '<unk>', '<|startoftext|>', '<|endoftext|>'];
  const tokenizer = ClipTokenizer.fromData(
    Object.fromEntries(vocab.map((token, id) => [token, id])),
    ['#version: 0.2', 'l o', 'lo w</w>', 'e r</w>'],
    { unkToken: '<unk>' },
  );
  // Published: tokens lo w er</w> n e w er</w> -> ids 10 2 16 9 3 2 16; unknown symbols -> <unk> (20).
  assert.deepEqual(tokenizer.encode('lower newer'), [10, 2, 16, 9, 3, 2, 16]);
  assert.deepEqual(tokenizer.encode('lower xyz'), [10, 2, 16, 20, 20, 20]);
  assert.deepEqual([...tokenizer.tokenize('lower')].slice(0, 6), [21, 10, 2, 16, 22, 22]);
  assert.equal(tokenizer.unkId, 20);
});

test('a repeated merge keeps its last rank, like a Python dict', () => {
  const table = mergesFromLines(['a b', 'b c</w>', '', 'a  b'], 'merges');
  assert.equal(table.getPair('a', 'b'), 3);
  assert.equal(table.getPair('b', 'c</w>'), 1);
  // With its first rank (0) "a b" would merge first and give ab c</w>.
  assert.deepEqual(new BytePairEncoder(table).encodeWord('abc'), ['a', 'bc</w>']);
});

test('every occurrence of the best pair merges in the same step', () => {
  // "ab a" outranks "a b", but "ab" only exists once "a b" merged; merging both "a b" at once
  // leaves no "ab a" pair, merging one at a time would produce "aba".
  const encoder = new BytePairEncoder(mergesFromLines(['ab a', 'a b'], 'merges'));
  assert.deepEqual(encoder.encodeWord('ababa'), ['ab', 'ab', 'a</w>']);
});
