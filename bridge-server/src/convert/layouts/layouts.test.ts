/**
 * The key tables at full model sizes (SD 1.5, SD 2.1, SDXL key patterns and shapes), the configs
 * derived from them, and the typed errors for missing, extra and ill-shaped tensors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { buildClipText } from '../../graphs/clip-text.js';
import { buildVaeDecoder, buildVaeEncoder } from '../../graphs/vae.js';
import { clipTextKeys, ldmVaeKeys, openClipKeys, ShapeSource } from '../testing/shape-source.js';
import { deriveClipTextConfig } from '../text-config.js';
import { deriveVaeConfig } from '../vae-config.js';
import { clipTextWeights } from './clip-text.js';
import { diffusersVaeWeights } from './diffusers.js';
import { ldmVaeWeights } from './ldm-vae.js';
import { openClipTextWeights } from './open-clip.js';

/** Asserts a model_invalid BridgeError whose message names every one of `names`. */
function invalid(...names: string[]): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof BridgeError, `expected a BridgeError, got ${String(err)}`);
    assert.equal(err.code, 'model_invalid');
    for (const n of names) assert.ok(err.message.includes(n), `"${err.message}" names ${n}`);
    return true;
  };
}

const SD1_TEXT = 'cond_stage_model.transformer.';

describe('CLIP text table (SD 1.5, SDXL encoder 1)', () => {
  test('SD 1.5 keys map to CLIPTextModel names; position_ids is ignored; config is CLIP-L', () => {
    const source = new ShapeSource('v1-5.safetensors', clipTextKeys(SD1_TEXT, 768, 12, { positionIds: true }));
    const { weights, ignored } = clipTextWeights(source, SD1_TEXT);
    assert.deepEqual(ignored, [`${SD1_TEXT}text_model.embeddings.position_ids`]);
    assert.deepEqual(weights.shape('text_model.encoder.layers.11.self_attn.q_proj.weight'), [768, 768]);
    const config = deriveClipTextConfig(weights, { layout: 'clip', projection: false });
    assert.deepEqual(
      [config.hidden_size, config.intermediate_size, config.num_hidden_layers, config.num_attention_heads, config.hidden_act, config.projection_dim],
      [768, 3072, 12, 12, 'quick_gelu', 768],
    );
    assert.deepEqual([config.bos_token_id, config.eos_token_id, config.pad_token_id, config.max_position_embeddings, config.vocab_size], [0, 2, 1, 77, 49408]);
    buildClipText(config, weights, { floatType: 'float16', hiddenStates: false, projection: false });
    assert.deepEqual(weights.unused(), []);
    assert.equal(weights.parameterCount(), 123_060_480, 'CLIP-L text model: 123,060,480 parameters');
  });

  test('the prefix may include text_model. (as the task names it) or not (as detection gives it)', () => {
    const source = new ShapeSource('xl.safetensors', clipTextKeys('conditioner.embedders.0.transformer.', 768, 12));
    const a = clipTextWeights(source, 'conditioner.embedders.0.transformer.').weights.names();
    const b = clipTextWeights(source, 'conditioner.embedders.0.transformer.text_model.').weights.names();
    assert.deepEqual(a, b);
  });

  test('files from before transformers wrapped text_model read the same (as A1111 renames them)', () => {
    const old = clipTextKeys(SD1_TEXT, 768, 12).map(([k, s]) => [k.replace('text_model.', ''), s] as const);
    const names = clipTextWeights(new ShapeSource('old.ckpt', old), SD1_TEXT).weights.names();
    assert.deepEqual(names, clipTextWeights(new ShapeSource('new.ckpt', clipTextKeys(SD1_TEXT, 768, 12)), SD1_TEXT).weights.names());
  });

  test('an unknown tensor under the prefix is named; other components are not looked at', () => {
    const source = new ShapeSource('odd.safetensors', clipTextKeys(SD1_TEXT, 768, 2)).add(`${SD1_TEXT}text_model.encoder.layers.0.self_attn.rotary.weight`, [8]);
    source.add('model.diffusion_model.input_blocks.0.0.weight', [320, 4, 3, 3]);
    assert.throws(() => clipTextWeights(source, SD1_TEXT), invalid('odd.safetensors', `${SD1_TEXT}text_model.encoder.layers.0.self_attn.rotary.weight`));
  });

  test('a missing tensor and a mis-shaped tensor are named with the file', () => {
    const missing = new ShapeSource('m.safetensors', clipTextKeys(SD1_TEXT, 768, 4)).delete(`${SD1_TEXT}text_model.encoder.layers.2.mlp.fc2.bias`);
    const w1 = clipTextWeights(missing, SD1_TEXT).weights;
    assert.throws(() => buildClipText(deriveClipTextConfig(w1, { layout: 'clip', projection: false }), w1, { floatType: 'float32', hiddenStates: false, projection: false }), invalid('text_model.encoder.layers.2.mlp.fc2.bias'));

    const bent = new ShapeSource('b.safetensors', clipTextKeys(SD1_TEXT, 768, 4)).add(`${SD1_TEXT}text_model.encoder.layers.3.self_attn.k_proj.weight`, [768, 512]);
    const w2 = clipTextWeights(bent, SD1_TEXT).weights;
    assert.throws(
      () => buildClipText(deriveClipTextConfig(w2, { layout: 'clip', projection: false }), w2, { floatType: 'float32', hiddenStates: false, projection: false }),
      invalid('text_model.encoder.layers.3.self_attn.k_proj.weight', '[768, 512]', `b.safetensors: ${SD1_TEXT}text_model.encoder.layers.3.self_attn.k_proj.weight`),
    );
  });

  test('a layer the config does not know is refused rather than dropped', () => {
    const source = new ShapeSource('x.safetensors', clipTextKeys(SD1_TEXT, 768, 3));
    const { weights } = clipTextWeights(source, SD1_TEXT);
    const config = { ...deriveClipTextConfig(weights, { layout: 'clip', projection: false }), num_hidden_layers: 2 };
    assert.throws(() => buildClipText(config, weights, { floatType: 'float32', hiddenStates: false, projection: false }), invalid('text_model.encoder.layers.2.'));
  });

  test('a config.json disagreeing with the tensors is named; its token ids and activation are kept', () => {
    const { weights } = clipTextWeights(new ShapeSource('te.safetensors', clipTextKeys('', 768, 12)), '');
    assert.throws(() => deriveClipTextConfig(weights, { layout: 'clip', projection: false, configJson: { num_hidden_layers: 11 } }), invalid('num_hidden_layers', '11', '12'));
    const config = deriveClipTextConfig(weights, { layout: 'clip', projection: false, configJson: { eos_token_id: 49407, hidden_act: 'gelu', num_hidden_layers: 12 } });
    assert.deepEqual([config.eos_token_id, config.hidden_act], [49407, 'gelu']);
    assert.throws(() => deriveClipTextConfig(weights, { layout: 'clip', projection: false, configJson: { hidden_act: 'relu' } }), invalid('hidden_act'));
  });
});

describe('OpenCLIP table (SD 2.1, SDXL encoder 2)', () => {
  const SD2 = 'cond_stage_model.model.';
  const XL2 = 'conditioner.embedders.1.model.';

  test('SD 2.1: penultimate drops resblocks.23 and text_projection, as diffusers converts it (23 layers)', () => {
    const source = new ShapeSource('v2-1_768-ema-pruned.safetensors', openClipKeys(SD2, 1024, 24, 1024));
    const { weights, ignored } = openClipTextWeights(source, SD2, { penultimate: true });
    assert.ok(weights.has('text_model.encoder.layers.22.self_attn.v_proj.bias'));
    assert.ok(!weights.has('text_model.encoder.layers.23.self_attn.v_proj.bias'));
    assert.ok(!weights.has('text_projection.weight'));
    assert.equal(ignored.filter((k) => k.startsWith(`${SD2}transformer.resblocks.23.`)).length, 12);
    assert.ok(ignored.includes(`${SD2}text_projection`) && ignored.includes(`${SD2}logit_scale`));
    const config = deriveClipTextConfig(weights, { layout: 'open-clip', projection: false });
    assert.deepEqual(
      [config.hidden_size, config.intermediate_size, config.num_hidden_layers, config.num_attention_heads, config.hidden_act, config.projection_dim],
      [1024, 4096, 23, 16, 'gelu', 512],
    );
    buildClipText(config, weights, { floatType: 'float16', hiddenStates: false, projection: false });
    assert.deepEqual(weights.unused(), []);
  });

  test('SDXL bigG: every layer, q/k/v split by rows, text_projection transposed, projection_dim 1280', async () => {
    const source = new ShapeSource('sd_xl_base_1.0.safetensors', openClipKeys(XL2, 1280, 32, 1280));
    const { weights } = openClipTextWeights(source, XL2, { penultimate: false, component: 'text_encoder_2' });
    assert.equal(weights.get('text_model.encoder.layers.31.self_attn.k_proj.weight').origin, `sd_xl_base_1.0.safetensors: ${XL2}transformer.resblocks.31.attn.in_proj_weight[1280:2560]`);
    assert.deepEqual(weights.shape('text_model.encoder.layers.0.self_attn.q_proj.bias'), [1280]);
    const config = deriveClipTextConfig(weights, { layout: 'open-clip', projection: true, component: 'text_encoder_2' });
    assert.deepEqual([config.num_hidden_layers, config.num_attention_heads, config.intermediate_size, config.projection_dim, config.architectures[0]], [32, 20, 5120, 1280, 'CLIPTextModelWithProjection']);
    buildClipText(config, weights, { floatType: 'float16', hiddenStates: true, projection: true });
    assert.deepEqual(weights.unused(), []);
    assert.equal(weights.parameterCount(), 694_659_840, 'OpenCLIP bigG text tower + projection: 694,659,840 parameters');
  });

  test('a non-square projection is transposed: [width, proj] stored, [proj, width] in diffusers', () => {
    const source = new ShapeSource('p.safetensors', openClipKeys(XL2, 1280, 2, 1024));
    assert.deepEqual(openClipTextWeights(source, XL2, { penultimate: false }).weights.shape('text_projection.weight'), [1024, 1280]);
  });

  test('a missing text_projection becomes the identity, with a warning', async () => {
    const source = new ShapeSource('pruned.safetensors', openClipKeys(XL2, 64, 2, 64)).delete(`${XL2}text_projection`);
    const { weights, warnings } = openClipTextWeights(source, XL2, { penultimate: false, component: 'text_encoder_2' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /pruned\.safetensors has no conditioner\.embedders\.1\.model\.text_projection/);
    const eye = await weights.get('text_projection.weight', [64, 64]).read('float32');
    assert.equal(eye[0], 1);
    assert.equal(eye[1], 0);
    assert.equal(eye[65], 1);
  });

  test('text_projection stored both ways at once is refused, naming both keys', () => {
    const source = new ShapeSource('two.safetensors', openClipKeys(XL2, 64, 2, 64)).add(`${XL2}text_projection.weight`, [64, 64]);
    assert.throws(() => openClipTextWeights(source, XL2, { penultimate: false }), invalid(`${XL2}text_projection`, `${XL2}text_projection.weight`));
  });

  test('in_proj rows that are not three equal parts are named', () => {
    const source = new ShapeSource('bad.safetensors', openClipKeys(XL2, 64, 2, 64)).add(`${XL2}transformer.resblocks.1.attn.in_proj_weight`, [190, 64]);
    assert.throws(() => openClipTextWeights(source, XL2, { penultimate: false }), invalid(`${XL2}transformer.resblocks.1.attn.in_proj_weight`, '190'));
  });
});

describe('LDM VAE table (SD 1.5, SD 2.1, SDXL)', () => {
  const VAE = 'first_stage_model.';

  test('SD keys map to AutoencoderKL names: decoder levels reversed, 1×1 conv attention as Linear, nin_shortcut', () => {
    const source = new ShapeSource('v1-5.safetensors', ldmVaeKeys(VAE)).add(`${VAE}loss.discriminator.main.0.weight`, [64, 3, 4, 4]);
    const { weights, ignored } = ldmVaeWeights(source, VAE);
    assert.deepEqual(ignored, [`${VAE}loss.discriminator.main.0.weight`]);
    // LDM up.3 is the widest level, diffusers up_blocks.0; up.0 (full resolution) is up_blocks.3.
    assert.equal(weights.get('decoder.up_blocks.0.resnets.2.conv2.weight').origin, `v1-5.safetensors: ${VAE}decoder.up.3.block.2.conv2.weight`);
    assert.equal(weights.get('decoder.up_blocks.2.upsamplers.0.conv.bias').origin, `v1-5.safetensors: ${VAE}decoder.up.1.upsample.conv.bias`);
    assert.deepEqual(weights.shape('decoder.up_blocks.3.resnets.0.conv_shortcut.weight'), [128, 256, 1, 1]);
    assert.deepEqual(weights.shape('encoder.mid_block.attentions.0.to_out.0.weight'), [512, 512]);
    assert.ok(weights.has('encoder.mid_block.attentions.0.group_norm.bias'));
    const config = deriveVaeConfig(weights, { family: 'sd1' });
    assert.deepEqual(
      [config.block_out_channels, config.layers_per_block, config.latent_channels, config.norm_num_groups, config.scaling_factor, config.sample_size],
      [[128, 256, 512, 512], 2, 4, 32, 0.18215, 512],
    );
    buildVaeEncoder(config, weights, { floatType: 'float32' });
    buildVaeDecoder(config, weights, { floatType: 'float32' });
    assert.deepEqual(weights.unused(), []);
    assert.equal(weights.parameterCount(), 83_653_863, 'SD VAE: 83,653,863 parameters');
  });

  test('SDXL family: scaling 0.13025; the fp16-fix VAE is force_upcast false', () => {
    const { weights } = ldmVaeWeights(new ShapeSource('xl.safetensors', ldmVaeKeys(VAE)), VAE);
    const original = deriveVaeConfig(weights, { family: 'sdxl' });
    assert.deepEqual([original.scaling_factor, original.force_upcast, original.sample_size], [0.13025, true, 1024]);
    assert.equal(deriveVaeConfig(weights, { family: 'sdxl', fp16Safe: true }).force_upcast, false);
  });

  test('attention inside levels (attn_resolutions), which AutoencoderKL lacks, is refused by name', () => {
    const source = new ShapeSource('attn.safetensors', ldmVaeKeys(VAE)).add(`${VAE}encoder.down.2.attn.0.q.weight`, [512, 512, 1, 1]);
    assert.throws(() => ldmVaeWeights(source, VAE), invalid(`${VAE}encoder.down.2.attn.0.q.weight`));
  });

  test('a missing upsampler is named when the decoder is built', () => {
    const source = new ShapeSource('m.safetensors', ldmVaeKeys(VAE)).delete(`${VAE}decoder.up.2.upsample.conv.weight`);
    const { weights } = ldmVaeWeights(source, VAE);
    assert.throws(() => buildVaeDecoder(deriveVaeConfig(weights, { family: 'sd1' }), weights, { floatType: 'float32' }), invalid('decoder.up_blocks.1.upsamplers.0.conv.weight'));
  });

  test('a 3×3 where the attention has a 1×1 conv is named', () => {
    const source = new ShapeSource('k.safetensors', ldmVaeKeys(VAE)).add(`${VAE}decoder.mid.attn_1.k.weight`, [512, 512, 3, 3]);
    assert.throws(() => ldmVaeWeights(source, VAE), invalid(`${VAE}decoder.mid.attn_1.k.weight`, '1×1'));
  });

  test('a .yaml ddconfig or config.json that disagrees with the tensors is named; scale_factor is taken', () => {
    const { weights } = ldmVaeWeights(new ShapeSource('y.safetensors', ldmVaeKeys(VAE)), VAE);
    const ddconfig = { ch: 128, ch_mult: [1, 2, 4, 4], num_res_blocks: 2, z_channels: 4, in_channels: 3, out_ch: 3 };
    assert.equal(deriveVaeConfig(weights, { family: 'sd1', original: { vae: ddconfig, scaleFactor: 0.2 } }).scaling_factor, 0.2);
    assert.throws(() => deriveVaeConfig(weights, { family: 'sd1', original: { vae: { ...ddconfig, ch_mult: [1, 2, 4] }, scaleFactor: undefined } }), invalid('ch × ch_mult'));
    assert.throws(() => deriveVaeConfig(weights, { family: 'sd1', configJson: { layers_per_block: 3 } }), invalid('layers_per_block', '3', '2'));
  });

  test('a standalone VAE file (no prefix, training leftovers) maps the same', () => {
    const source = new ShapeSource('vae-ft-mse-840000-ema-pruned.ckpt', ldmVaeKeys('')).add('model_ema.decay', []).add('loss.logvar', []);
    const { weights, ignored } = ldmVaeWeights(source, '');
    assert.deepEqual([...ignored].sort(), ['loss.logvar', 'model_ema.decay']);
    assert.equal(weights.names().length, ldmVaeKeys('').length);
  });
});

describe('diffusers VAE table', () => {
  test('pre-0.14 folders (query/key/value/proj_attn) read as to_q/to_k/to_v/to_out.0', () => {
    const { weights: ldm } = ldmVaeWeights(new ShapeSource('l', ldmVaeKeys('')), '');
    const old: [string, number[]][] = ldm.names().map((n) => [
      n.replace('attentions.0.to_q', 'attentions.0.query').replace('attentions.0.to_k', 'attentions.0.key').replace('attentions.0.to_v', 'attentions.0.value').replace('attentions.0.to_out.0', 'attentions.0.proj_attn'),
      [...(ldm.shape(n) ?? [])],
    ]);
    assert.ok(old.some(([k]) => k.endsWith('attentions.0.proj_attn.weight')));
    const { weights } = diffusersVaeWeights(new ShapeSource('vae/diffusion_pytorch_model.bin', old));
    assert.deepEqual(weights.names().sort(), ldm.names().sort());
  });
});
