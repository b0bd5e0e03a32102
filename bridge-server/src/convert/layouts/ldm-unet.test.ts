/**
 * The UNet key tables at full model sizes (SD 1.5, SD 2.1, SDXL and the 9-channel inpainting
 * UNet, as openaimodel.py lays their state dicts out), the configs derived from them against the
 * published diffusers configs and parameter counts, and the typed errors for missing, extra,
 * ill-shaped and misplaced tensors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { buildUnet } from '../../graphs/unet.js';
import { ldmUnetKeys, SD15_UNET, SD21_UNET, SDXL_UNET, type LdmUnetParams } from '../testing/ldm-unet-keys.js';
import { ShapeSource } from '../testing/shape-source.js';
import { deriveUnetConfig } from '../unet-config.js';
import { unetFamilyHints } from '../unet-family.js';
import { diffusersUnetWeights } from './diffusers-unet.js';
import { emaKey, ldmUnetWeights, LDM_UNET_PREFIX } from './ldm-unet.js';

const P = LDM_UNET_PREFIX;

function source(params: LdmUnetParams, file = 'model.safetensors'): ShapeSource {
  return new ShapeSource(file, ldmUnetKeys(P, params));
}

/** Asserts a BridgeError with `code` whose message names every one of `names`. */
function rejects(code: string, ...names: string[]): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof BridgeError, `expected a BridgeError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const n of names) assert.ok(err.message.includes(n), `"${err.message}" names ${n}`);
    return true;
  };
}

describe('LDM UNet table at full size', () => {
  test('SD 1.5: all 686 keys map, the config is the published one, the graph takes every weight (859,520,964 parameters)', () => {
    const src = source(SD15_UNET).add('betas', [1000], 'F32').add('model_ema.decay', [], 'F32');
    const { weights, ignored } = ldmUnetWeights(src);
    assert.equal(weights.names().length, 686);
    assert.deepEqual(ignored, []);
    for (const [diffusers, shape] of [
      ['conv_in.weight', [320, 4, 3, 3]],
      ['time_embedding.linear_1.weight', [1280, 320]],
      ['down_blocks.0.resnets.1.time_emb_proj.weight', [320, 1280]],
      ['down_blocks.1.resnets.0.conv_shortcut.weight', [640, 320, 1, 1]],
      ['down_blocks.2.downsamplers.0.conv.weight', [1280, 1280, 3, 3]],
      ['down_blocks.0.attentions.1.proj_in.weight', [320, 320, 1, 1]],
      ['down_blocks.2.attentions.0.transformer_blocks.0.attn2.to_k.weight', [1280, 768]],
      ['mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.weight', [10240, 1280]],
      ['mid_block.resnets.1.norm2.weight', [1280]],
      ['up_blocks.0.resnets.2.conv1.weight', [1280, 2560, 3, 3]],
      ['up_blocks.0.upsamplers.0.conv.weight', [1280, 1280, 3, 3]],
      ['up_blocks.1.upsamplers.0.conv.weight', [1280, 1280, 3, 3]],
      ['up_blocks.3.attentions.2.proj_out.weight', [320, 320, 1, 1]],
      ['up_blocks.3.resnets.0.conv_shortcut.weight', [320, 960, 1, 1]],
      ['conv_norm_out.weight', [320]],
      ['conv_out.weight', [4, 320, 3, 3]],
    ] as const) {
      assert.deepEqual(weights.shape(diffusers), shape, diffusers);
    }
    const config = deriveUnetConfig(weights, { family: 'sd1' });
    assert.deepEqual(
      {
        attention_head_dim: config.attention_head_dim,
        block_out_channels: config.block_out_channels,
        cross_attention_dim: config.cross_attention_dim,
        down_block_types: config.down_block_types,
        up_block_types: config.up_block_types,
        layers_per_block: config.layers_per_block,
        transformer_layers_per_block: config.transformer_layers_per_block,
        use_linear_projection: config.use_linear_projection,
        sample_size: config.sample_size,
        in_channels: config.in_channels,
        addition_embed_type: config.addition_embed_type,
        upcast_attention: config.upcast_attention,
      },
      {
        attention_head_dim: 8,
        block_out_channels: [320, 640, 1280, 1280],
        cross_attention_dim: 768,
        down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
        up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
        layers_per_block: 2,
        transformer_layers_per_block: 1,
        use_linear_projection: false,
        sample_size: 64,
        in_channels: 4,
        addition_embed_type: null,
        upcast_attention: false,
      },
    );
    const keys = Object.keys(config);
    assert.deepEqual(keys, [...keys].sort(), 'keys in the order diffusers writes config.json (sorted)');
    buildUnet(config, weights, { floatType: 'float16' });
    assert.deepEqual(weights.unused(), []);
    assert.equal(weights.parameterCount(), 859_520_964);
  });

  test('SD 1.5 inpainting: 9 input channels, everything else as SD 1.5', () => {
    const { weights } = ldmUnetWeights(source({ ...SD15_UNET, inChannels: 9 }));
    const config = deriveUnetConfig(weights, { family: 'sd1' });
    assert.equal(config.in_channels, 9);
    assert.equal(config.out_channels, 4);
    buildUnet(config, weights, { floatType: 'float32' });
    assert.equal(weights.parameterCount(), 859_520_964 + 5 * 320 * 9);
  });

  test('SD 2.1 (768-v): linear projections, 64-wide heads as diffusers counts them, 96² latents, upcast attention (865,910,724 parameters)', () => {
    const { weights } = ldmUnetWeights(source(SD21_UNET));
    const config = deriveUnetConfig(weights, { family: 'sd2', prediction: 'v_prediction' });
    assert.deepEqual(config.attention_head_dim, [5, 10, 20, 20]);
    assert.equal(config.use_linear_projection, true);
    assert.equal(config.cross_attention_dim, 1024);
    assert.equal(config.sample_size, 96);
    assert.equal(config.upcast_attention, true);
    assert.deepEqual(weights.shape('down_blocks.0.attentions.0.proj_in.weight'), [320, 320]);
    buildUnet(config, weights, { floatType: 'float16' });
    assert.deepEqual(weights.unused(), []);
    assert.equal(weights.parameterCount(), 865_910_724);
    assert.equal(deriveUnetConfig(ldmUnetWeights(source(SD21_UNET)).weights, { family: 'sd2', prediction: 'epsilon' }).sample_size, 64);
  });

  test('SDXL: label_emb is the text_time add_embedding, depths [1, 2, 10], the published config (2,567,463,684 parameters)', () => {
    const { weights } = ldmUnetWeights(source(SDXL_UNET));
    assert.equal(weights.names().length, 1680);
    assert.deepEqual(weights.shape('add_embedding.linear_1.weight'), [1280, 2816]);
    assert.deepEqual(weights.shape('up_blocks.0.attentions.2.transformer_blocks.9.attn2.to_v.weight'), [1280, 2048]);
    assert.deepEqual(weights.shape('up_blocks.1.upsamplers.0.conv.weight'), [640, 640, 3, 3]);
    const config = deriveUnetConfig(weights, { family: 'sdxl' });
    assert.deepEqual(
      [config.attention_head_dim, config.transformer_layers_per_block, config.down_block_types, config.up_block_types],
      [[5, 10, 20], [1, 2, 10], ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'], ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D']],
    );
    assert.deepEqual(
      [config.addition_embed_type, config.addition_time_embed_dim, config.projection_class_embeddings_input_dim, config.cross_attention_dim, config.sample_size],
      ['text_time', 256, 2816, 2048, 128],
    );
    const graph = buildUnet(config, weights, { floatType: 'float16' });
    assert.deepEqual(weights.unused(), []);
    assert.equal(weights.parameterCount(), 2_567_463_684);
    // fp16 weights plus a few KiB of graph constants (frequencies, shapes, axes).
    const extra = graph.weightBytes() - 2 * 2_567_463_684;
    assert.ok(extra >= 0 && extra < 65_536, `${extra} bytes beside the weights`);
  });

  test('a diffusers unet/ file maps by identity; the same weights give the same config', () => {
    const ldm = ldmUnetWeights(source(SDXL_UNET)).weights;
    const file = new ShapeSource('diffusion_pytorch_model.fp16.safetensors', ldm.names().map((n) => [n, [...(ldm.shape(n) ?? [])]] as const));
    const { weights } = diffusersUnetWeights(file);
    assert.deepEqual(weights.names().sort(), ldm.names().sort());
    assert.deepEqual(deriveUnetConfig(weights, { family: 'sdxl' }), deriveUnetConfig(ldm, { family: 'sdxl' }));
    file.add('controlnet_cond_embedding.conv_in.weight', [16, 3, 3, 3]);
    assert.throws(() => diffusersUnetWeights(file), rejects('model_invalid', 'controlnet_cond_embedding.conv_in.weight'));
  });
});

describe('UNet family hints', () => {
  test('SD 1.5, SD 2.1, SDXL, inpainting and pix2pix tell themselves apart by their own tensors', () => {
    const cases: [LdmUnetParams, string | undefined, string | undefined, number | undefined][] = [
      [SD15_UNET, 'sd1', 'base', 768],
      [{ ...SD15_UNET, inChannels: 9 }, 'sd1', 'inpaint', 768],
      [{ ...SD15_UNET, inChannels: 8 }, 'sd1', 'pix2pix', 768],
      [SD21_UNET, 'sd2', 'base', 1024],
      [SDXL_UNET, 'sdxl', 'base', 2048],
      [{ ...SDXL_UNET, inChannels: 9 }, 'sdxl', 'inpaint', 2048],
    ];
    for (const [params, family, variant, context] of cases) {
      const hints = unetFamilyHints(source(params));
      assert.deepEqual([hints.layout, hints.family, hints.variant, hints.crossAttentionDim], ['ldm', family, variant, context]);
    }
    const xl = ldmUnetWeights(source(SDXL_UNET)).weights;
    const diffusers = new ShapeSource('unet.safetensors', xl.names().map((n) => [n, [...(xl.shape(n) ?? [])]] as const));
    const hints = unetFamilyHints(diffusers, '');
    assert.deepEqual([hints.layout, hints.family, hints.addEmbeddingInputDim, hints.linearProjection], ['diffusers', 'sdxl', 2816, true]);
    // SD 2.1 unCLIP: an ADM embedding with a 1024-wide context is not SDXL.
    assert.equal(unetFamilyHints(source({ ...SD21_UNET, admInChannels: 2048 })).family, undefined);
  });
});

describe('UNet table errors', () => {
  test('a missing tensor is named by its diffusers name when the graph asks for it', () => {
    const src = source(SD15_UNET).delete(`${P}output_blocks.4.1.transformer_blocks.0.attn2.to_k.weight`);
    const { weights } = ldmUnetWeights(src);
    assert.throws(() => buildUnet(deriveUnetConfig(weights, { family: 'sd1' }), weights, { floatType: 'float32' }), rejects('model_invalid', 'up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_k.weight'));
  });

  test('an ill-shaped tensor is named with its shape, the expected one and its checkpoint key', () => {
    const src = source(SD15_UNET).add(`${P}input_blocks.4.0.emb_layers.1.weight`, [640, 1024]);
    const { weights } = ldmUnetWeights(src);
    assert.throws(
      () => buildUnet(deriveUnetConfig(weights, { family: 'sd1' }), weights, { floatType: 'float32' }),
      rejects('model_invalid', 'down_blocks.1.resnets.0.time_emb_proj.weight', '[640, 1024]', '[640, 1280]', `${P}input_blocks.4.0.emb_layers.1.weight`),
    );
  });

  test('an unknown tensor under the prefix is named; tensors of other components are not looked at', () => {
    const src = source(SD15_UNET).add(`${P}input_blocks.1.1.transformer_blocks.0.attn1.to_q.lora_up.weight`, [320, 4]).add('first_stage_model.encoder.conv_in.weight', [128, 3, 3, 3]);
    assert.throws(() => ldmUnetWeights(src), rejects('model_invalid', 'model.safetensors', `${P}input_blocks.1.1.transformer_blocks.0.attn1.to_q.lora_up.weight`));
  });

  test('a tensor of a known kind that no module of the architecture takes is refused, not dropped', () => {
    // A transformer on the last level, which SD 1.5's config says has none.
    const src = source(SD15_UNET).add(`${P}output_blocks.0.1.norm.weight`, [1280]).add(`${P}output_blocks.0.1.norm.bias`, [1280]);
    const { weights } = ldmUnetWeights(src);
    assert.throws(() => buildUnet(deriveUnetConfig(weights, { family: 'sd1' }), weights, { floatType: 'float32' }), rejects('model_invalid', 'up_blocks.0.attentions.0.norm.bias'));
  });

  test('a downsampler or upsampler in the wrong slot is named', () => {
    const down = source(SD15_UNET).add(`${P}input_blocks.4.0.op.weight`, [640, 640, 3, 3]);
    assert.throws(() => ldmUnetWeights(down), rejects('model_invalid', 'input_blocks.4.0.op.weight', 'downsampler'));
    const up = source(SD15_UNET).add(`${P}output_blocks.3.1.conv.weight`, [1280, 1280, 3, 3]);
    assert.throws(() => ldmUnetWeights(up), rejects('model_invalid', 'output_blocks.3.1.conv.weight', 'upsampler'));
  });

  test('levels with different layer counts and down/up mismatches are named', () => {
    const src = source(SD15_UNET);
    for (const k of src.keys().filter((key) => key.startsWith(`${P}output_blocks.11.`))) src.delete(k);
    const { weights } = ldmUnetWeights(src);
    assert.throws(() => deriveUnetConfig(weights, { family: 'sd1' }), rejects('model_invalid', 'up_blocks.3', 'expected 3'));
  });

  test('EMA: read only when asked, from model_ema twins; asking without an EMA copy, or a twin missing, is a typed error', () => {
    const keys = ldmUnetKeys(P, SD15_UNET);
    const withEma = new ShapeSource('ema.ckpt', keys);
    for (const [k, shape] of keys) withEma.add(emaKey(k), shape);
    assert.equal(emaKey(`${P}input_blocks.1.1.proj_in.weight`), 'model_ema.diffusion_modelinput_blocks11proj_inweight');
    const live = ldmUnetWeights(withEma);
    assert.ok(live.weights.get('conv_in.weight').origin.endsWith(`${P}input_blocks.0.0.weight`));
    assert.match(live.warnings.join(' '), /EMA/);
    const ema = ldmUnetWeights(withEma, { ema: true });
    assert.equal(ema.weights.names().length, 686);
    assert.equal(ema.warnings.length, 0);
    assert.ok(ema.weights.get('conv_in.weight').origin.includes('EMA'));
    assert.throws(() => ldmUnetWeights(source(SD15_UNET), { ema: true }), rejects('model_invalid', 'no EMA copy'));
    withEma.delete(emaKey(`${P}out.2.bias`));
    assert.throws(() => ldmUnetWeights(withEma, { ema: true }), rejects('model_invalid', 'model_ema.diffusion_modelout2bias', `${P}out.2.bias`));
  });
});

describe('UNet config overrides', () => {
  const weights = () => ldmUnetWeights(source(SD21_UNET)).weights;

  test('a unet/config.json sets what shapes cannot tell and must agree with the weights on the rest', () => {
    const config = deriveUnetConfig(weights(), { family: 'sd2', configJson: { attention_head_dim: 16, upcast_attention: false, sample_size: 72, norm_num_groups: 32 } });
    assert.deepEqual([config.attention_head_dim, config.upcast_attention, config.sample_size], [16, false, 72]);
    assert.throws(() => deriveUnetConfig(weights(), { family: 'sd2', configJson: { block_out_channels: [320, 640, 1280, 2560] } }), rejects('model_invalid', 'block_out_channels', '2560'));
    assert.throws(() => deriveUnetConfig(weights(), { family: 'sd2', configJson: { transformer_layers_per_block: 2 } }), rejects('model_invalid', 'transformer depths'));
    assert.throws(() => deriveUnetConfig(weights(), { family: 'sd2', configJson: { class_embed_type: 'projection' } }), rejects('checkpoint_unsupported', 'class_embed_type'));
    assert.throws(() => deriveUnetConfig(weights(), { family: 'sd2', configJson: { attention_head_dim: 7 } }), rejects('model_invalid', 'attention_head_dim', '7 heads'));
    assert.throws(() => deriveUnetConfig(weights(), { family: 'sd2', configJson: { _class_name: 'ControlNetModel' } }), rejects('checkpoint_unsupported', 'ControlNetModel'));
  });

  test("the .yaml's unet section: num_heads or num_head_channels set the heads; a depth or width it contradicts is named", () => {
    const yaml = { model_channels: 320, channel_mult: [1, 2, 4, 4], num_res_blocks: 2, attention_resolutions: [4, 2, 1], context_dim: 1024, use_linear_in_transformer: true, transformer_depth: 1 };
    const fixed = deriveUnetConfig(weights(), { family: 'sd2', original: { file: 'v2.yaml', unet: { ...yaml, num_heads: 8 } } });
    assert.equal(fixed.attention_head_dim, 8);
    const byWidth = deriveUnetConfig(weights(), { family: 'sd2', original: { file: 'v2.yaml', unet: { ...yaml, num_heads: -1, num_head_channels: 40 } } });
    assert.deepEqual(byWidth.attention_head_dim, [8, 16, 32, 32]);
    assert.throws(() => deriveUnetConfig(weights(), { family: 'sd2', original: { file: 'v2.yaml', unet: { ...yaml, context_dim: 768 } } }), rejects('model_invalid', 'v2.yaml', 'cross_attention_dim'));
    assert.throws(() => deriveUnetConfig(weights(), { family: 'sd2', original: { file: 'v2.yaml', unet: { ...yaml, attention_resolutions: [4, 2] } } }), rejects('model_invalid', 'v2.yaml', 'attention placement'));
    assert.throws(() => deriveUnetConfig(weights(), { family: 'sd2', original: { file: 'v2.yaml', unet: { ...yaml, use_scale_shift_norm: true } } }), rejects('checkpoint_unsupported', 'use_scale_shift_norm'));
  });
});
