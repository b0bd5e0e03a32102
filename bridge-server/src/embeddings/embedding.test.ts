/**
 * Textual-inversion embeddings against torch on the small SD 1.x checkpoint: A1111 .safetensors
 * (emb_params, 1 vector), A1111 .pt through the safe unpickler (string_to_param, 3 vectors) and a
 * diffusers learned_embeds file, triggered by file name; token ids and positions as A1111 places
 * them (an embedding that does not fit in the 75-token chunk moves to the next), and the text
 * encoder's output with the vectors in those positions (A1111's EmbeddingsWithFixes in torch).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { openCheckpoint } from '../checkpoint/index.js';
import { importModel } from '../convert/import-model.js';
import { assertClose } from '../convert/testing/compare.js';
import { ModelStore } from '../models/model-store.js';
import { weightedWindows } from '../pipeline/weighted-encoding.js';
import { OnnxModel } from '../runtime/index.js';
import { bundledClipTokenizerDir, ClipTokenizer } from '../tokenizer/index.js';
import { embeddingFamily, readEmbeddingFile, type EmbeddingFile } from './embedding-file.js';
import { applyEmbeddings } from './embedding-set.js';
import { embeddingFixture, PROMPTS, PROMPTS_XL, promptText } from './testing/embedding-fixtures.js';

const work = await mkdtemp(join(tmpdir(), 'lb-emb-'));
after(() => rm(work, { recursive: true, force: true }));

test('1- and 3-vector embeddings: ids, chunking and text-encoder output vs torch', async (t) => {
  const fixture = await embeddingFixture(t);
  if (fixture === undefined) return;
  const { base, dir, reference: ref } = fixture;
  t.after(() => Promise.all([base.reference.close(), ref.close()]));
  const tokenizer = await ClipTokenizer.fromFolder(bundledClipTokenizerDir());

  const embeddings: EmbeddingFile[] = [];
  for (const [file, name] of [['one-emb.safetensors', 'one-emb'], ['tri-emb.pt', 'tri-emb'], ['toy.safetensors', 'toy']] as const) {
    const source = await openCheckpoint(join(dir, file));
    try {
      embeddings.push(await readEmbeddingFile(source, name));
    } finally {
      await source.close();
    }
  }
  assert.deepEqual(embeddings.map((e) => [e.name, e.text_encoder.count, e.text_encoder.width, e.token]), [['one-emb', 1, 128, undefined], ['tri-emb', 3, 128, undefined], ['toy', 1, 128, '<toy>']]);
  assert.equal(embeddingFamily(embeddings[0]!), undefined, '128 wide: no family of ours');

  const model = await importModel({ source: join(base.dir, 'model.safetensors'), store: new ModelStore(join(work, 'store')), name: 'base' });
  const plainEncoder = join(model.dir, 'text_encoder', 'model.onnx');
  const applied = await applyEmbeddings({ text_encoder: plainEncoder }, embeddings);
  assert.notEqual(applied.files.text_encoder, plainEncoder);
  const again = await applyEmbeddings({ text_encoder: plainEncoder }, [...embeddings].reverse());
  assert.deepEqual(again, applied, 'the same set (in any order) gets the same ids and the same copy');
  const vocab = 49408;
  assert.deepEqual(applied.words.map((w) => [w.text, w.ids]), [['one-emb', [vocab]], ['toy', [vocab + 1]], ['<toy>', [vocab + 1]], ['tri-emb', [vocab + 2, vocab + 3, vocab + 4]]]);

  const withWords = tokenizer.withAddedWords(applied.words);
  const encoder = await OnnxModel.open(applied.files.text_encoder);
  t.after(() => encoder.release());
  for (const [k, prompt] of PROMPTS.entries()) {
    const windows = weightedWindows(withWords, [{ text: promptText(prompt), weight: 1 }], 'chunk');
    const expectedChunks = ref.keys().filter((key) => key.startsWith(`p${k}.`) && key.endsWith('.ids')).length;
    assert.equal(windows.length, expectedChunks, `prompt ${k}: chunks`);
    for (const [c, window] of windows.entries()) {
      const ids = await ref.readRaw(`p${k}.c${c}.ids`);
      const slots = new BigInt64Array((await ref.readRaw(`p${k}.c${c}.slots`)).slice().buffer);
      const torchIds = new BigInt64Array(ids.slice().buffer);
      const expected = Array.from(torchIds, (id, i) => ((slots[i] ?? -1n) >= 0n ? vocab + Number(slots[i]) : Number(id)));
      assert.deepEqual(Array.from(window.ids), expected, `prompt ${k} chunk ${c}: ids, embedding positions included`);
      const out = await encoder.run({ input_ids: { data: BigInt64Array.from(window.ids, (v) => BigInt(v)), dims: [1, 77] } });
      const got = out['last_hidden_state']?.data as Float32Array;
      const error = assertClose(got, await ref.readFloat32(`p${k}.c${c}.last_hidden_state`), 1e-4, `prompt ${k} chunk ${c}`);
      // Pooled at the end-of-text token, not at an embedding id past the vocabulary.
      const pooled = assertClose(out['pooler_output']?.data as Float32Array, await ref.readFloat32(`p${k}.c${c}.pooler_output`), 1e-4, `prompt ${k} chunk ${c} pooled`);
      t.diagnostic(`prompt ${k} chunk ${c}: ${error.toExponential(2)}, pooled ${pooled.toExponential(2)} of max|ref|`);
    }
  }
  // The long prompt: 73 words fill chunk 0, the 3-vector embedding cannot fit (73 + 3 > 75) and opens chunk 1.
  const long = weightedWindows(withWords, [{ text: promptText(PROMPTS[2] ?? []), weight: 1 }], 'chunk');
  assert.equal(long.length, 2);
  assert.equal(long[0]?.ids[74], tokenizer.eosId, 'chunk 0 ends after the 73 words');
  assert.deepEqual(Array.from(long[1]?.ids.slice(0, 5) ?? []), [tokenizer.bosId, vocab + 2, vocab + 3, vocab + 4, tokenizer.encode('sky')[0]]);

  // An embedding of another width is refused by name.
  const wide: EmbeddingFile = { name: 'wide', text_encoder: { count: 1, width: 768, values: new Float32Array(768) } };
  await assert.rejects(applyEmbeddings({ text_encoder: plainEncoder }, [wide]), (err: unknown) => err instanceof BridgeError && err.code === 'invalid_field' && /"wide" is 768 wide; this model's text_encoder takes 128/.test(err.message));
});

test('SDXL: a {clip_l, clip_g} embedding in both encoders (the second padding with "!") vs torch', async (t) => {
  const fixture = await embeddingFixture(t, 'sdxl');
  if (fixture === undefined) return;
  const { base, dir, reference: ref } = fixture;
  t.after(() => Promise.all([base.reference.close(), ref.close()]));
  const source = await openCheckpoint(join(dir, 'xl-emb.safetensors'));
  const xl = await readEmbeddingFile(source, 'xl-emb').finally(() => source.close());
  assert.deepEqual([xl.text_encoder.count, xl.text_encoder.width, xl.text_encoder_2?.count, xl.text_encoder_2?.width], [2, 128, 2, 192]);
  assert.equal(embeddingFamily(xl), 'sdxl');

  const model = await importModel({ source: join(base.dir, 'model.safetensors'), store: new ModelStore(join(work, 'store-xl')), name: 'xl' });
  const files = { text_encoder: join(model.dir, 'text_encoder', 'model.onnx'), text_encoder_2: join(model.dir, 'text_encoder_2', 'model.onnx') };
  const applied = await applyEmbeddings(files, [xl]);
  assert.deepEqual(applied.words, [{ text: 'xl-emb', ids: [49408, 49409] }]);
  const first = (await ClipTokenizer.fromFolder(join(model.dir, 'tokenizer'))).withAddedWords(applied.words);
  const second = (await ClipTokenizer.fromFolder(join(model.dir, 'tokenizer_2'))).withAddedWords(applied.words);
  const text = promptText(PROMPTS_XL[0] ?? []);
  const slots = new BigInt64Array((await ref.readRaw('p0.c0.slots')).slice().buffer);
  for (const [i, component] of (['text_encoder', 'text_encoder_2'] as const).entries()) {
    const [window] = weightedWindows(i === 0 ? first : second, [{ text, weight: 1 }], 'chunk');
    const torchIds = new BigInt64Array((await ref.readRaw(i === 0 ? 'p0.c0.ids' : 'p0.c0.ids2')).slice().buffer);
    const expected = Array.from(torchIds, (id, p) => ((slots[p] ?? -1n) >= 0n ? 49408 + Number(slots[p]) : Number(id)));
    assert.deepEqual(Array.from(window?.ids ?? []), expected, `${component} ids`);
    const encoder = await OnnxModel.open(applied.files[component] ?? '');
    try {
      const out = await encoder.run({ input_ids: { data: BigInt64Array.from(window?.ids ?? [], (v) => BigInt(v)), dims: [1, 77] } });
      const outputs = component === 'text_encoder' ? [['last_hidden_state', 'p0.c0.last_hidden_state']] : [['last_hidden_state', 'p0.c0.text_encoder_2.last_hidden_state'], ['text_embeds', 'p0.c0.text_encoder_2.text_embeds']];
      for (const [name, key] of outputs) {
        const error = assertClose(out[name ?? '']?.data as Float32Array, await ref.readFloat32(key ?? ''), 1e-4, `${component}.${name ?? ''}`);
        t.diagnostic(`sdxl ${component}.${name ?? ''}: ${error.toExponential(2)} of max|ref|`);
      }
    } finally {
      await encoder.release();
    }
  }
  // An SD 1.x-style embedding (no clip_g vectors) does not fit an SDXL model: refused, or left out when asked.
  const plain: EmbeddingFile = { name: 'flat', text_encoder: xl.text_encoder };
  await assert.rejects(applyEmbeddings(files, [plain]), /no vectors for this model's text_encoder_2/);
  assert.deepEqual((await applyEmbeddings(files, [plain, xl], { skipIncompatible: true })).words.map((w) => w.text), ['xl-emb']);
});
