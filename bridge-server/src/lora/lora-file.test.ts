/**
 * Reading LoRA files without torch: kohya name rebuilding, PEFT alphas from the header, family
 * detection, refused algorithms and broken files with typed errors, a LoRA for another model
 * refused by shape, and the CLI's FILE[:WEIGHT].
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { openCheckpoint, writeSafetensors } from '../checkpoint/index.js';
import { loraScale } from './lora-delta.js';
import { detectLoraFamily } from './lora-family.js';
import { readLoraFile, type LoraFile } from './lora-file.js';
import { dottedPath } from './lora-names.js';
import { parseLoraSpec } from './lora-spec.js';
import { resolveLora, type WeightCatalog } from './lora-targets.js';

const work = await mkdtemp(join(tmpdir(), 'lb-lora-file-'));
after(() => rm(work, { recursive: true, force: true }));

type Tensors = Record<string, readonly number[]>;
let n = 0;

/** A safetensors file of F32 tensors with these shapes (values 0.5, alphas 8). */
async function file(tensors: Tensors, metadata: Record<string, string> = {}): Promise<string> {
  const path = join(work, `f${n++}.safetensors`);
  await writeSafetensors(
    path,
    Object.entries(tensors).map(([key, shape]) => {
      const count = shape.reduce((a, b) => a * b, 1);
      return { key, dtype: 'F32' as const, shape, data: new Uint8Array(new Float32Array(count).fill(key.endsWith('.alpha') ? 8 : 0.5).buffer) };
    }),
    metadata,
  );
  return path;
}

async function read(tensors: Tensors, metadata: Record<string, string> = {}): Promise<LoraFile> {
  const source = await openCheckpoint(await file(tensors, metadata));
  try {
    return await readLoraFile(source);
  } finally {
    await source.close();
  }
}

function pair(stem: string, out: number, inner: number, rank = 4, kohya = true): Tensors {
  return kohya
    ? { [`${stem}.lora_down.weight`]: [rank, inner], [`${stem}.lora_up.weight`]: [out, rank], [`${stem}.alpha`]: [] }
    : { [`${stem}.lora_A.weight`]: [rank, inner], [`${stem}.lora_B.weight`]: [out, rank] };
}

test('kohya words become module paths in every naming', () => {
  assert.equal(dottedPath('down_blocks_0_attentions_1_transformer_blocks_0_attn1_to_out_0'), 'down_blocks.0.attentions.1.transformer_blocks.0.attn1.to_out.0');
  assert.equal(dottedPath('input_blocks_4_1_transformer_blocks_0_ff_net_0_proj'), 'input_blocks.4.1.transformer_blocks.0.ff.net.0.proj');
  assert.equal(dottedPath('input_blocks_1_0_in_layers_2'), 'input_blocks.1.0.in_layers.2');
  assert.equal(dottedPath('output_blocks_2_1_conv'), 'output_blocks.2.1.conv');
  assert.equal(dottedPath('middle_block_0_skip_connection'), 'middle_block.0.skip_connection');
  assert.equal(dottedPath('time_embedding_linear_1'), 'time_embedding.linear_1');
  assert.equal(dottedPath('label_emb_0_0'), 'label_emb.0.0');
  assert.equal(dottedPath('conv_norm_out'), 'conv_norm_out');
  assert.equal(dottedPath('text_model_encoder_layers_11_self_attn_out_proj'), 'text_model.encoder.layers.11.self_attn.out_proj');
  assert.equal(dottedPath('text_model_encoder_layers_0_mlp_fc2'), 'text_model.encoder.layers.0.mlp.fc2');
});

test('kohya and PEFT files read alike; alphas from tensors or the adapter metadata', async () => {
  const kohya = await read({ ...pair('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k', 320, 768), ...pair('lora_te_text_model_encoder_layers_0_self_attn_q_proj', 768, 768) });
  assert.equal(kohya.format, 'kohya');
  const byPath = (f: LoraFile) => [...f.modules].sort((a, b) => a.path.localeCompare(b.path));
  assert.deepEqual(byPath(kohya).map((m) => [m.component, m.path, m.alpha, m.rank]), [
    ['unet', 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k', 8, 4],
    ['text_encoder', 'text_model.encoder.layers.0.self_attn.q_proj', 8, 4],
  ]);
  assert.equal(loraScale(kohya.modules[0]!, 0.5), 1, '0.5 · 8 / 4');
  const meta = { lora_adapter_metadata: JSON.stringify({ 'unet.lora_alpha': 16, 'unet.r': 4, 'unet.alpha_pattern': { 'attn2.to_k': 2 } }) };
  const peft = await read({ ...pair('unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k', 320, 768, 4, false), ...pair('unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', 320, 320, 4, false), ...pair('text_encoder.text_model.encoder.layers.0.self_attn.q_proj', 768, 768, 4, false) }, meta);
  assert.equal(peft.format, 'peft');
  assert.deepEqual(byPath(peft).map((m) => [m.component, m.path, m.alpha]), [
    ['unet', 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', 16],
    ['unet', 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k', 2],
    ['text_encoder', 'text_model.encoder.layers.0.self_attn.q_proj', undefined],
  ]);
  assert.equal(loraScale(byPath(peft)[2]!, 0.5), 0.5, 'no alpha: alpha = rank');
  // diffusers' first format: attention-processor names.
  const stem = 'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora';
  const old = await read({ [`${stem}.down.weight`]: [4, 320], [`${stem}.up.weight`]: [320, 4] });
  assert.equal(old.modules[0]?.path, 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0');
});

test('family from the cross-attention width, the text encoder width or a second encoder', async () => {
  assert.equal(detectLoraFamily(await read(pair('lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k', 640, 768))), 'sd1');
  assert.equal(detectLoraFamily(await read(pair('lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_v', 640, 1024))), 'sd2');
  assert.equal(detectLoraFamily(await read(pair('lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k', 640, 2048))), 'sdxl');
  assert.equal(detectLoraFamily(await read(pair('lora_te2_text_model_encoder_layers_0_mlp_fc1', 5120, 1280))), 'sdxl');
  assert.equal(detectLoraFamily(await read(pair('lora_te_text_model_encoder_layers_0_self_attn_q_proj', 1024, 1024))), 'sd2');
  assert.equal(detectLoraFamily(await read(pair('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q', 320, 320))), undefined);
});

async function refused(tensors: Tensors, code: string, message: RegExp): Promise<void> {
  await assert.rejects(read(tensors), (err: unknown) => err instanceof BridgeError && err.code === code && message.test(err.message));
}

test('LoHa, LoKr, Tucker LoCon, files without LoRA pairs and mismatched pairs are refused with typed errors', async () => {
  await refused({ 'lora_unet_x.hada_w1_a': [4, 8], 'lora_unet_x.hada_w1_b': [4, 8] }, 'checkpoint_unsupported', /LoHa network.*unsupported algorithm/);
  await refused({ 'lora_unet_x.lokr_w1': [4, 4], 'lora_unet_x.lokr_w2': [4, 4] }, 'checkpoint_unsupported', /LoKr network.*unsupported algorithm/);
  await refused({ ...pair('lora_unet_x', 8, 8), 'lora_unet_x.lora_mid.weight': [4, 4, 3, 3] }, 'checkpoint_unsupported', /lora_mid/);
  await refused({ 'model.diffusion_model.out.2.weight': [4, 320, 3, 3] }, 'checkpoint_unsupported', /no LoRA modules/);
  await refused({ 'lora_unet_x.lora_down.weight': [4, 8], 'lora_unet_x.lora_up.weight': [8, 2] }, 'checkpoint_invalid', /does not fit down/);
  await refused({ 'lora_unet_x.lora_down.weight': [4, 8], 'lora_unet_x.lora_up.weight': [8, 4], 'lora_unet_x.alpha': [2] }, 'checkpoint_invalid', /one number/);
});

function catalog(shapes: Record<string, readonly number[]>): WeightCatalog {
  return { shape: (name) => shapes[name], names: () => Object.keys(shapes) };
}

test('modules land on weights by diffusers or CompVis path; unknown ones are named; a wrong-size model is refused', async () => {
  const lora = await read({
    ...pair('lora_unet_input_blocks_1_1_proj_in', 320, 320),
    ...pair('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q', 320, 320),
    ...pair('lora_unet_bogus_layer_7', 320, 320),
  });
  const unet = catalog({
    'down_blocks.0.resnets.0.conv1.weight': [320, 320, 3, 3],
    'down_blocks.0.resnets.1.conv1.weight': [320, 320, 3, 3],
    'down_blocks.0.attentions.0.proj_in.weight': [320, 320, 1, 1],
    'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight': [320, 320],
  });
  const resolved = resolveLora(lora, { unet }, 'style');
  assert.deepEqual(resolved.targets.map((t) => t.weight).sort(), ['down_blocks.0.attentions.0.proj_in.weight', 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight']);
  assert.equal(resolved.warnings.length, 1);
  assert.match(resolved.warnings[0] ?? '', /style: 1 module\(s\) match no weight.*lora_unet_bogus_layer_7/);
  const bigger = catalog({ 'down_blocks.0.resnets.1.conv1.weight': [640, 640, 3, 3], 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight': [640, 640] });
  assert.throws(() => resolveLora(lora, { unet: bigger }, 'style'), (err: unknown) => err instanceof BridgeError && err.code === 'checkpoint_unsupported' && /another model family/.test(err.message));
  assert.throws(() => resolveLora(lora, { unet: catalog({ 'conv_in.weight': [320, 4, 3, 3] }) }, 'style'), /adapts no weight of this model/);
});

test('FILE[:WEIGHT]', () => {
  assert.deepEqual(parseLoraSpec('/x/style.safetensors:0.8'), { file: '/x/style.safetensors', weight: 0.8, label: 'style' });
  assert.deepEqual(parseLoraSpec('style.safetensors'), { file: 'style.safetensors', weight: 1, label: 'style' });
  assert.deepEqual(parseLoraSpec('C:\\loras\\a.safetensors:-1.5'), { file: 'C:\\loras\\a.safetensors', weight: -1.5, label: 'C:\\loras\\a' });
  assert.throws(() => parseLoraSpec('a.safetensors:11'), /outside -10..10/);
});

test("text-encoder modules of a layer the model does not have (SD 2.x's dropped last layer) change nothing, silently", async () => {
  const lora = await read({ ...pair('lora_te_text_model_encoder_layers_0_mlp_fc1', 16, 8), ...pair('lora_te_text_model_encoder_layers_1_mlp_fc1', 16, 8), ...pair('lora_te_text_model_encoder_layers_0_mlp_bogus', 16, 8) });
  const te = catalog({ 'text_model.encoder.layers.0.mlp.fc1.weight': [16, 8] });
  const resolved = resolveLora(lora, { text_encoder: te }, 'sd2');
  assert.deepEqual(resolved.targets.map((t) => t.weight), ['text_model.encoder.layers.0.mlp.fc1.weight']);
  assert.equal(resolved.warnings.length, 1);
  assert.match(resolved.warnings[0] ?? '', /1 module\(s\) match no weight.*layers_0_mlp_bogus/);
});
