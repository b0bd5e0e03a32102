/**
 * Where CLIPTextModel pools: configs with the legacy eos_token_id 2 take argmax(input_ids) (so an
 * added token above 49407, e.g. a textual inversion, wins), newer ones the first eos_token_id,
 * as transformers' modeling_clip.py does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fromValues, type LazyTensor } from '../onnx/lazy-tensor.js';
import { WeightSet } from '../onnx/weight-set.js';
import { OnnxModel } from '../runtime/index.js';
import { buildClipText, type ClipTextArchitecture } from './clip-text.js';

const work = await mkdtemp(join(tmpdir(), 'lb-clip-pool-'));
after(() => rm(work, { recursive: true, force: true }));

const D = 8;
const VOCAB = 49410;

function randomWeights(): WeightSet {
  let s = 12345;
  const random = (shape: number[]): LazyTensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      v[i] = s / 2147483648 - 0.5;
    }
    return fromValues(shape, v);
  };
  const entries: [string, LazyTensor][] = [
    ['text_model.embeddings.token_embedding.weight', random([VOCAB, D])],
    ['text_model.embeddings.position_embedding.weight', random([77, D])],
    ['text_model.final_layer_norm.weight', random([D])],
    ['text_model.final_layer_norm.bias', random([D])],
  ];
  const l = 'text_model.encoder.layers.0.';
  for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) entries.push([`${l}self_attn.${p}.weight`, random([D, D])], [`${l}self_attn.${p}.bias`, random([D])]);
  for (const p of ['layer_norm1', 'layer_norm2']) entries.push([`${l}${p}.weight`, random([D])], [`${l}${p}.bias`, random([D])]);
  entries.push([`${l}mlp.fc1.weight`, random([4 * D, D])], [`${l}mlp.fc1.bias`, random([4 * D])], [`${l}mlp.fc2.weight`, random([D, 4 * D])], [`${l}mlp.fc2.bias`, random([D])]);
  return new WeightSet(entries, 'text_encoder');
}

async function pooledPositions(eosTokenId: number, ids: number[][]): Promise<number[]> {
  const config: ClipTextArchitecture = {
    vocab_size: VOCAB,
    hidden_size: D,
    intermediate_size: 4 * D,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    max_position_embeddings: 77,
    hidden_act: 'quick_gelu',
    layer_norm_eps: 1e-5,
    eos_token_id: eosTokenId,
    projection_dim: D,
  };
  const dir = join(work, `eos-${eosTokenId}`);
  await buildClipText(config, randomWeights(), { floatType: 'float32', hiddenStates: false, projection: false }).write(dir);
  const model = await OnnxModel.open(join(dir, 'model.onnx'));
  try {
    const length = ids[0]?.length ?? 0;
    const out = await model.run({ input_ids: { data: BigInt64Array.from(ids.flat(), (v) => BigInt(v)), dims: [ids.length, length] } });
    const last = out['last_hidden_state']?.data as Float32Array;
    const pooled = out['pooler_output']?.data as Float32Array;
    // The position whose final hidden state pooler_output is.
    return ids.map((_, b) => {
      const row = pooled.subarray(b * D, (b + 1) * D);
      const matches = Array.from({ length }, (_, s) => s).filter((s) => last.subarray((b * length + s) * D, (b * length + s + 1) * D).every((v, i) => v === row[i]));
      assert.equal(matches.length, 1, `row ${b} pools exactly one position`);
      return matches[0] ?? -1;
    });
  } finally {
    await model.release();
  }
}

// BOS, an added token above the vocabulary's EOS, a word, EOS, then padding (EOS or "!" = 0).
const IDS = [
  [49406, 49409, 320, 49407, 49407, 49407],
  [49406, 320, 49407, 0, 0, 0],
];

test('legacy configs (eos_token_id 2) pool at argmax(input_ids)', async () => {
  assert.deepEqual(await pooledPositions(2, IDS), [1, 2]);
});

test('configs with eos_token_id 49407 pool at the first end-of-text token', async () => {
  assert.deepEqual(await pooledPositions(49407, IDS), [3, 2]);
});
