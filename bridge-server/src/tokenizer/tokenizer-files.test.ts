import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { bundledClipTokenizerDir } from './bundled.js';
import { ClipTokenizer } from './clip-tokenizer.js';
import { GOLDEN_PROMPTS } from './golden-prompts.js';
import { diffusersConfigs, tokenizerFolder } from './tokenizer-fixtures.js';

const BOS = 49406;
const EOS = 49407;

async function withFolder<T>(files: Record<string, string | null>, body: (dir: string) => Promise<T>): Promise<T> {
  const folder = await tokenizerFolder(files);
  try {
    return await body(folder.dir);
  } finally {
    await folder.remove();
  }
}

async function rejectsWith(files: Record<string, string | null>, field: string, message?: RegExp): Promise<void> {
  await withFolder(files, async (dir) => {
    await assert.rejects(ClipTokenizer.fromFolder(dir), (err: unknown) => {
      assert.ok(err instanceof BridgeError, String(err));
      assert.equal(err.code, 'tokenizer_invalid');
      assert.equal(err.field, field);
      if (message !== undefined) assert.match(err.message, message);
      return true;
    });
  });
}

test('loads the bundled vocabulary well under 300 ms', async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    await ClipTokenizer.fromFolder(bundledClipTokenizerDir());
    times.push(performance.now() - start);
  }
  t.diagnostic(`load times (ms): ${times.map((ms) => ms.toFixed(1)).join(', ')}`);
  assert.ok(Math.min(...times) < 300, `fastest load ${Math.min(...times).toFixed(1)} ms`);
});

test('SD1.x folder: pad is <|endoftext|>', async () => {
  await withFolder(diffusersConfigs('<|endoftext|>'), async (dir) => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    assert.equal(tokenizer.padId, EOS);
    assert.equal(tokenizer.maxLength, 77);
    assert.deepEqual([...tokenizer.tokenize('a cat')].slice(0, 6), [BOS, 320, 2368, EOS, EOS, EOS]);
  });
});

test('SD2.x folder: pad is "!" (id 0), and "!" in prompts becomes id 0 as in HF (diffusers#4153)', async () => {
  await withFolder(diffusersConfigs('!'), async (dir) => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    assert.equal(tokenizer.padId, 0);
    assert.equal(tokenizer.padToken, '!');
    const ids = [...tokenizer.tokenize('a cat')];
    assert.deepEqual(ids.slice(0, 4), [BOS, 320, 2368, EOS]);
    assert.deepEqual(new Set(ids.slice(4)), new Set([0]));
    assert.deepEqual(tokenizer.tokenizeChunks('')[0]?.slice(0, 3), Int32Array.from([BOS, EOS, 0]));
    // HF's slow tokenizer (diffusers) gives six 0s; open_clip (A1111) would give 256 748 995.
    assert.deepEqual(tokenizer.encode('! !! !!!'), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(tokenizer.encode('hello!'), [3306, 0]);
    assert.deepEqual(tokenizer.encode('wow!! a cat'), [...tokenizer.encode('wow'), 0, 0, 320, 2368]);
    // Everything without a "!" is openai's ids, as for SD 1.x.
    for (const golden of GOLDEN_PROMPTS) {
      if (golden.text.includes('!')) continue;
      assert.deepEqual(tokenizer.encode(golden.text), golden.ids, JSON.stringify(golden.text));
    }
  });
});

test('special_tokens_map.json overrides tokenizer_config.json, as in HF', async () => {
  const sd2 = diffusersConfigs('!');
  const sd1 = diffusersConfigs('<|endoftext|>');
  await withFolder({ 'tokenizer_config.json': sd2['tokenizer_config.json'] ?? '', 'special_tokens_map.json': sd1['special_tokens_map.json'] ?? '' }, async (dir) => {
    assert.equal((await ClipTokenizer.fromFolder(dir)).padId, EOS);
  });
  await withFolder({ 'tokenizer_config.json': sd2['tokenizer_config.json'] ?? '' }, async (dir) => {
    assert.equal((await ClipTokenizer.fromFolder(dir)).padId, 0);
  });
});

test('model_max_length: default 77, HF "unset" sentinel, custom value', async () => {
  await withFolder({ 'tokenizer_config.json': '{}' }, async (dir) => {
    assert.equal((await ClipTokenizer.fromFolder(dir)).maxLength, 77);
  });
  await withFolder({ 'tokenizer_config.json': '{"model_max_length": 1000000000000000019884624838656}' }, async (dir) => {
    assert.equal((await ClipTokenizer.fromFolder(dir)).maxLength, 77);
  });
  await withFolder({ 'tokenizer_config.json': '{"model_max_length": 8}' }, async (dir) => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    assert.deepEqual([...tokenizer.tokenize('a photo of a cat on a mat')], [BOS, 320, 1125, 539, 320, 2368, 525, EOS]);
    assert.equal(tokenizer.tokenizeChunks('a photo of a cat on a mat').length, 2);
  });
  await rejectsWith({ 'tokenizer_config.json': '{"model_max_length": "77"}' }, 'tokenizer_config.json', /model_max_length/);
});

test('a pretty-printed vocab.json with escaped keys loads to the same ids', async () => {
  const vocab = JSON.parse(await readFile(join(bundledClipTokenizerDir(), 'vocab.json'), 'utf8')) as Record<string, number>;
  // save_pretrained writes indent=2 and ensure_ascii=False; escape a few keys on purpose.
  const pretty = JSON.stringify(vocab, null, 2).replace('"é"', '"\\u00e9"');
  const bundled = await ClipTokenizer.fromFolder(bundledClipTokenizerDir());
  await withFolder({ 'vocab.json': pretty }, async (dir) => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    for (const text of ['a "quoted" back\\slash', 'café 間違い', 'a photo of a cat']) {
      assert.deepEqual(tokenizer.encode(text), bundled.encode(text));
    }
    for (const key of ['é', '"', '\\', '"</w>']) assert.equal(tokenizer.tokenToId(key), vocab[key], key);
  });
});

test('missing or malformed files are tokenizer_invalid errors naming the file', async () => {
  await rejectsWith({ 'vocab.json': null }, 'vocab.json', /missing/);
  await rejectsWith({ 'merges.txt': null }, 'merges.txt', /missing/);
  const vocab = await readFile(join(bundledClipTokenizerDir(), 'vocab.json'), 'utf8');
  await rejectsWith({ 'vocab.json': vocab.slice(0, vocab.length / 2) }, 'vocab.json', /not valid JSON/);
  await rejectsWith({ 'vocab.json': '{"a": "1"}' }, 'vocab.json', /integer/);
  await rejectsWith({ 'vocab.json': '["a"]' }, 'vocab.json');
  await rejectsWith({ 'vocab.json': '{}' }, 'vocab.json', /empty/);
  // A vocabulary without CLIP's special tokens.
  await rejectsWith({ 'vocab.json': '{"a": 0, "b": 1}' }, 'vocab.json', /bos token/);
  await rejectsWith({ 'merges.txt': '#version: 0.2\nl o\nl o w\n' }, 'merges.txt', /line 3/);
  await rejectsWith({ 'merges.txt': '#version: 0.2\n' }, 'merges.txt');
  await rejectsWith({ 'tokenizer_config.json': '{"pad_token": ' }, 'tokenizer_config.json', /not valid JSON/);
  await rejectsWith({ 'special_tokens_map.json': '{"pad_token": "<pad>"}' }, 'special_tokens_map.json', /pad token "<pad>"/);
  await rejectsWith({ 'special_tokens_map.json': '{"pad_token": 5}' }, 'special_tokens_map.json', /pad_token/);
});

test('merges.txt with CRLF line endings and stray whitespace reads like the canonical file', async () => {
  const merges = await readFile(join(bundledClipTokenizerDir(), 'merges.txt'), 'utf8');
  const messy = merges.split('\n').map((line, i) => (i % 3 === 0 ? `${line}\r` : i % 3 === 1 ? ` ${line.replace(' ', '\t ')}` : line)).join('\n');
  await withFolder({ 'merges.txt': messy }, async (dir) => {
    const tokenizer = await ClipTokenizer.fromFolder(dir);
    for (const golden of GOLDEN_PROMPTS.slice(0, 12)) assert.deepEqual(tokenizer.encode(golden.text), golden.ids);
  });
});
