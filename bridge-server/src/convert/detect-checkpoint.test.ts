import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorEntry } from '../checkpoint/tensor-source.js';
import { detectCheckpoint } from './detect-checkpoint.js';

/** A checkpoint's key list with the shapes that matter; every other tensor is [1]. */
function lookup(keys: readonly string[], shapes: Readonly<Record<string, number[]>> = {}) {
  return {
    file: 'x.safetensors',
    keys: () => keys,
    entry: (key: string): TensorEntry | undefined =>
      keys.includes(key) ? { key, dtype: 'F16', shape: shapes[key] ?? [1], byteLength: 2 } : undefined,
  };
}

const UNET_IN = 'model.diffusion_model.input_blocks.0.0.weight';
const VAE = 'first_stage_model.decoder.conv_in.weight';
const SD1_TEXT = 'cond_stage_model.transformer.text_model.embeddings.token_embedding.weight';
const SD2_TEXT = 'cond_stage_model.model.token_embedding.weight';
const XL_TEXT1 = 'conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight';
const XL_TEXT2 = 'conditioner.embedders.1.model.token_embedding.weight';

test('SD 1.x, its inpainting and instruct-pix2pix variants', () => {
  for (const [channels, variant] of [[4, 'base'], [9, 'inpaint'], [8, 'pix2pix']] as const) {
    const kind = detectCheckpoint(lookup([UNET_IN, VAE, SD1_TEXT, 'model_ema.decay'], { [UNET_IN]: [320, channels, 3, 3] }));
    assert.equal(kind.family, 'sd1');
    assert.equal(kind.variant, variant);
    assert.equal(kind.hasEma, true);
    assert.deepEqual(kind.textEncoders, [{ prefix: 'cond_stage_model.transformer.', layout: 'clip' }]);
  }
});

test('SD 2.x by its OpenCLIP encoder; SDXL by its two encoders, with v-prediction markers', () => {
  const sd2 = detectCheckpoint(lookup([UNET_IN, VAE, SD2_TEXT], { [UNET_IN]: [320, 4, 3, 3] }));
  assert.equal(sd2.family, 'sd2');
  assert.equal(sd2.textEncoders[0]?.layout, 'open-clip');
  const xl = detectCheckpoint(lookup([UNET_IN, VAE, XL_TEXT1, XL_TEXT2, 'v_pred'], { [UNET_IN]: [320, 4, 3, 3] }));
  assert.equal(xl.family, 'sdxl');
  assert.deepEqual(xl.textEncoders.map((t) => t.layout), ['clip', 'open-clip']);
  assert.equal(xl.markers.vPrediction, true);
  assert.equal(xl.vaePrefix, 'first_stage_model.');
  const noVae = detectCheckpoint(lookup([UNET_IN, XL_TEXT1, XL_TEXT2], { [UNET_IN]: [320, 4, 3, 3] }));
  assert.equal(noVae.vaePrefix, undefined);
});

test('files that are not a whole model say what they are', () => {
  const cases: Array<[string[], RegExp]> = [
    [['lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight'], /is a LoRA/],
    [['unet.down_blocks.0.attentions.0.proj_in.lora_A.weight'], /is a LoRA/],
    [['emb_params'], /embedding/],
    [['clip_l', 'clip_g'], /embedding/],
    [['encoder.down.0.block.0.norm1.weight', 'decoder.up.0.block.0.norm1.weight'], /VAE on its own/],
    [['model.diffusion_model.joint_blocks.0.context_block.attn.qkv.weight'], /SD3 or Flux/],
    [[UNET_IN, 'conditioner.embedders.0.model.token_embedding.weight'], /refiner/],
    [[UNET_IN], /no text encoder/],
    [['something.else'], /no Stable Diffusion UNet/],
  ];
  for (const [keys, message] of cases) {
    assert.throws(() => detectCheckpoint(lookup(keys, { [UNET_IN]: [320, 4, 3, 3] })), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'checkpoint_unsupported');
      assert.match(err.message, message);
      return true;
    });
  }
  assert.throws(() => detectCheckpoint(lookup([UNET_IN, SD1_TEXT], { [UNET_IN]: [320, 5, 3, 3] })), /5 input channels/);
});
