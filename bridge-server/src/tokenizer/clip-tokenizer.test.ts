import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledClipTokenizerDir } from './bundled.js';
import { ClipTokenizer } from './clip-tokenizer.js';
import { GOLDEN_PROMPTS, LONG_PROMPT } from './golden-prompts.js';

const BOS = 49406;
const EOS = 49407;
const tokenizer = await ClipTokenizer.fromFolder(bundledClipTokenizerDir());

/** Test names stay one readable line: invisible and control characters as \u escapes. */
function printable(text: string): string {
  const escaped = text.replace(/[\p{C}\p{M}\p{Z}]/gu, (c) => (c === ' ' ? c : `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`));
  return `"${escaped.length > 60 ? `${escaped.slice(0, 57)}...` : escaped}"`;
}

function framed(ids: readonly number[], pad = EOS, length = 77): number[] {
  const out = [BOS, ...ids, EOS];
  while (out.length < length) out.push(pad);
  return out;
}

test('defaults of the bundled vocabulary: SD1 special ids, 77 positions', () => {
  assert.equal(tokenizer.bosId, BOS);
  assert.equal(tokenizer.eosId, EOS);
  assert.equal(tokenizer.padId, EOS);
  assert.equal(tokenizer.maxLength, 77);
  assert.equal(tokenizer.vocabSize, 49408);
});

test("golden ids of openai/CLIP's tokenizer (ftfy, html.unescape, its regex)", async (t) => {
  assert.ok(GOLDEN_PROMPTS.length >= 140);
  for (const golden of GOLDEN_PROMPTS) {
    await t.test(printable(golden.text), () => {
      assert.deepEqual(tokenizer.encode(golden.text), golden.ids);
      assert.equal(tokenizer.countTokens(golden.text), golden.ids.length);
    });
  }
});

test('tokenize frames with BOS/EOS and pads to 77', () => {
  const ids = tokenizer.tokenize('a photo of a cat');
  assert.ok(ids instanceof Int32Array);
  assert.deepEqual([...ids], framed([320, 1125, 539, 320, 2368]));
  assert.deepEqual([...tokenizer.tokenize('how are you doing?')].slice(0, 7), [BOS, 829, 631, 592, 1960, 286, EOS]);
});

test('empty and whitespace-only prompts give BOS, EOS and padding', () => {
  for (const text of ['', '   \n\t ', '\u0000\u0007', '&nbsp;']) {
    assert.deepEqual(tokenizer.encode(text), []);
    assert.deepEqual([...tokenizer.tokenize(text)], framed([]));
    const chunks = tokenizer.tokenizeChunks(text);
    assert.equal(chunks.length, 1);
    assert.deepEqual([...(chunks[0] as Int32Array)], framed([]));
  }
});

test('long prompts are truncated to 75 ids with EOS kept last', () => {
  assert.equal(LONG_PROMPT.ids.length, 131);
  assert.equal(tokenizer.countTokens(LONG_PROMPT.text), 131);
  const ids = tokenizer.tokenize(LONG_PROMPT.text);
  assert.equal(ids.length, 77);
  assert.deepEqual([...ids], [BOS, ...LONG_PROMPT.ids.slice(0, 75), EOS]);
});

test('75 ids fit exactly; the 76th is dropped', () => {
  const seventyFive = Array.from({ length: 75 }, () => 'cat').join(' ');
  assert.deepEqual([...tokenizer.tokenize(seventyFive)], [BOS, ...new Array<number>(75).fill(2368), EOS]);
  assert.deepEqual([...tokenizer.tokenize(`${seventyFive} dog`)], [BOS, ...new Array<number>(75).fill(2368), EOS]);
  assert.equal(tokenizer.tokenizeChunks(seventyFive).length, 1);
});

test('tokenizeChunks cuts long prompts into framed runs of 75', () => {
  const chunks = tokenizer.tokenizeChunks(LONG_PROMPT.text);
  assert.equal(chunks.length, 2);
  assert.deepEqual([...(chunks[0] as Int32Array)], [BOS, ...LONG_PROMPT.ids.slice(0, 75), EOS]);
  assert.deepEqual([...(chunks[1] as Int32Array)], framed(LONG_PROMPT.ids.slice(75)));
  const oneFifty = Array.from({ length: 150 }, () => 'dog').join(' ');
  assert.equal(tokenizer.tokenizeChunks(oneFifty).length, 2);
  assert.equal(tokenizer.tokenizeChunks(`${oneFifty} cat`).length, 3);
});

test("special tokens written in the prompt are ids only where openai's word regex starts a word there", () => {
  assert.deepEqual(tokenizer.encode('a<|endoftext|>b'), [320, EOS, 321]);
  assert.deepEqual(tokenizer.encode('<|startoftext|>'), [BOS]);
  assert.deepEqual(tokenizer.encode('<|ENDOFTEXT|>'), [EOS]);
  // After punctuation the punctuation run swallows "<|": plain characters, no EOS.
  assert.ok(!tokenizer.encode('!!<|endoftext|>').includes(EOS));
  assert.ok(!tokenizer.encode('.<|endoftext|>').includes(EOS));
});

test('clean-up like ftfy + html.unescape: entities, mojibake, ligatures, widths, quotes give the plain text ids', () => {
  const same = (a: string, b: string) => assert.deepEqual(tokenizer.encode(a), tokenizer.encode(b), `${a} vs ${b}`);
  same('Tom &amp; Jerry', 'tom & jerry');
  same('a &amp;amp; b', 'a & b');
  same('caf\u00c3\u00a9 au lait', 'café au lait');
  same('it\u00e2\u20ac\u2122s', "it's");
  same('\ufb01ne', 'fine');
  same('\uff21\uff22\uff23\uff11\uff12', 'abc12');
  same('\u201cquoted\u201d', '"quoted"');
  same('del\u007fete', 'delete');
  // Zero-width space and soft hyphen are kept, as ftfy keeps them: they become byte tokens.
  assert.notDeepEqual(tokenizer.encode('a\u200bb'), tokenizer.encode('ab'));
});

test('decode inverts encode up to HF normalisation', () => {
  assert.equal(tokenizer.decode(tokenizer.tokenize('a photo of a cat')), 'a photo of a cat');
  assert.equal(tokenizer.decode(tokenizer.encode('Café  Crème, ÜBER!')), 'café crème , über !');
  assert.equal(tokenizer.decode(tokenizer.encode('🔥 東京')), '🔥 東京');
  assert.equal(tokenizer.decode([BOS, 320, EOS], { skipSpecial: false }), '<|startoftext|>a <|endoftext|>');
});

test('repeated encoding is stable (BPE cache)', () => {
  const first = tokenizer.encode(LONG_PROMPT.text);
  assert.deepEqual(tokenizer.encode(LONG_PROMPT.text), first);
  assert.deepEqual(first, LONG_PROMPT.ids);
});
