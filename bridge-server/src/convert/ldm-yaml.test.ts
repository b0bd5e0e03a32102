import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readOriginalConfig } from './ldm-yaml.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-yaml-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Shaped like Stability-AI/stablediffusion configs/stable-diffusion/v2-inference-v.yaml.
const SD2_V = `model:
  base_learning_rate: 1.0e-4
  target: ldm.models.diffusion.ddpm.LatentDiffusion
  params:
    parameterization: "v"
    linear_start: 0.00085
    linear_end: 0.0120
    scale_factor: 0.18215
    unet_config:
      target: ldm.modules.diffusionmodules.openaimodel.UNetModel
      params:
        num_head_channels: 64
        transformer_depth: 1
        context_dim: 1024
        use_linear_in_transformer: True
    first_stage_config:
      target: ldm.models.autoencoder.AutoencoderKL
      params:
        ddconfig:
          z_channels: 4
          ch_mult: [1, 2, 4, 4]
    cond_stage_config:
      target: ldm.modules.encoders.modules.FrozenOpenCLIPEmbedder
      params:
        freeze: True
        layer: "penultimate"
`;

// Shaped like generative-models configs/inference/sd_xl_base.yaml.
const SDXL = `model:
  target: sgm.models.diffusion.DiffusionEngine
  params:
    scale_factor: 0.13025
    denoiser_config:
      target: sgm.modules.diffusionmodules.denoiser.DiscreteDenoiser
      params:
        num_idx: 1000
        scaling_config:
          target: sgm.modules.diffusionmodules.denoiser_scaling.EpsScaling
    network_config:
      target: sgm.modules.diffusionmodules.openaimodel.UNetModel
      params:
        adm_in_channels: 2816
        transformer_depth: [0, 2, 10]
        context_dim: 2048
    conditioner_config:
      target: sgm.modules.GeneralConditioner
      params:
        emb_models:
          - is_trainable: False
            input_key: txt
            target: sgm.modules.encoders.modules.FrozenCLIPEmbedder
            params:
              layer: hidden
              layer_idx: 11
          - is_trainable: False
            input_key: txt
            target: sgm.modules.encoders.modules.FrozenOpenCLIPEmbedder2
            params:
              layer: penultimate
              always_return_pooled: True
              legacy: False
          - input_key: original_size_as_tuple
            target: sgm.modules.encoders.modules.ConcatTimestepEmbedderND
            params:
              outdim: 256
`;

test('an SD 2 768-v yaml: v-prediction, betas, scale, UNet/VAE/text sections', async () => {
  const file = join(dir, 'v2.yaml');
  await writeFile(file, SD2_V);
  const c = await readOriginalConfig(file);
  assert.equal(c.family, 'sd2');
  assert.equal(c.prediction, 'v_prediction');
  assert.deepEqual(c.betas, { start: 0.00085, end: 0.012 });
  assert.equal(c.scaleFactor, 0.18215);
  assert.equal(c.unet?.['num_head_channels'], 64);
  assert.deepEqual(c.vae?.['ch_mult'], [1, 2, 4, 4]);
  assert.equal(c.textEncoders[0]?.params['layer'], 'penultimate');
});

test('an SDXL yaml: epsilon by its denoiser scaling, both text embedders in order', async () => {
  const file = join(dir, 'xl.yaml');
  await writeFile(file, SDXL);
  const c = await readOriginalConfig(file);
  assert.equal(c.family, 'sdxl');
  assert.equal(c.prediction, 'epsilon');
  assert.equal(c.scaleFactor, 0.13025);
  assert.deepEqual(c.unet?.['transformer_depth'], [0, 2, 10]);
  assert.deepEqual(c.textEncoders.slice(0, 2).map((e) => e.target.split('.').pop()), ['FrozenCLIPEmbedder', 'FrozenOpenCLIPEmbedder2']);
});

test('a file that is not an inference yaml is refused, naming it', async () => {
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'just: [a, list');
  await assert.rejects(readOriginalConfig(file), /bad\.yaml: not readable YAML/);
  await writeFile(file, 'other: 1\n');
  await assert.rejects(readOriginalConfig(file), /no model\.params section/);
});
