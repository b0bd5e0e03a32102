/**
 * Finding a diffusers component's weight files (variants, pickles, shards), reading shards as one
 * source, what a .yaml says about its text encoders, and which float type the VAE gets.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { findComponentWeights, weightFileCandidates } from './layouts/diffusers.js';
import { readOriginalConfig } from './ldm-yaml.js';
import { MergedSource } from './merged-source.js';
import { ShapeSource } from './testing/shape-source.js';
import { originalTextEncoders } from './text-config.js';
import { vaeFloatType } from './vae-config.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-component-files-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(root, file, '..'), { recursive: true });
    await writeFile(join(root, file), content);
  }
  return root;
}

describe('diffusers component weight files', () => {
  test('safetensors before pickles; a variant before plain files; transformers vs diffusers names', () => {
    assert.deepEqual(weightFileCandidates('transformers').slice(0, 3), ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin']);
    assert.deepEqual(weightFileCandidates('diffusers', 'fp16').slice(0, 4), [
      'diffusion_pytorch_model.fp16.safetensors',
      'diffusion_pytorch_model.fp16.safetensors.index.json',
      'diffusion_pytorch_model.safetensors',
      'diffusion_pytorch_model.safetensors.index.json',
    ]);
  });

  test('picks the variant when asked, the plain file otherwise, and a variant-only folder still opens', async () => {
    const root = await folder('both', {
      'vae/diffusion_pytorch_model.safetensors': '',
      'vae/diffusion_pytorch_model.fp16.safetensors': '',
      'text_encoder/model.fp16.safetensors': '',
      'text_encoder_2/pytorch_model.bin': '',
    });
    assert.deepEqual(await findComponentWeights(root, 'vae', 'fp16'), [join(root, 'vae/diffusion_pytorch_model.fp16.safetensors')]);
    assert.deepEqual(await findComponentWeights(root, 'vae'), [join(root, 'vae/diffusion_pytorch_model.safetensors')]);
    assert.deepEqual(await findComponentWeights(root, 'text_encoder'), [join(root, 'text_encoder/model.fp16.safetensors')]);
    assert.deepEqual(await findComponentWeights(root, 'text_encoder_2', 'fp16'), [join(root, 'text_encoder_2/pytorch_model.bin')]);
  });

  test('a sharded index gives its shard files; a shard outside the folder or a bad index is refused', async () => {
    const index = { weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } };
    const root = await folder('sharded', { 'text_encoder_2/model.safetensors.index.json': JSON.stringify(index) });
    assert.deepEqual(await findComponentWeights(root, 'text_encoder_2'), [
      join(root, 'text_encoder_2/model-00001-of-00002.safetensors'),
      join(root, 'text_encoder_2/model-00002-of-00002.safetensors'),
    ]);
    const evil = await folder('evil', { 'text_encoder/model.safetensors.index.json': JSON.stringify({ weight_map: { a: '../../secret.safetensors' } }) });
    await assert.rejects(findComponentWeights(evil, 'text_encoder'), (e: unknown) => e instanceof BridgeError && e.code === 'model_invalid' && /outside its folder/.test(e.message));
    const broken = await folder('broken', { 'vae/diffusion_pytorch_model.safetensors.index.json': '{' });
    await assert.rejects(findComponentWeights(broken, 'vae'), /not valid JSON/);
  });

  test('a folder without weights lists what was looked for', async () => {
    const root = await folder('empty', { 'vae/config.json': '{}' });
    await assert.rejects(
      findComponentWeights(root, 'vae'),
      (e: unknown) => e instanceof BridgeError && e.code === 'model_invalid' && e.message.includes('diffusion_pytorch_model.safetensors') && e.message.includes('diffusion_pytorch_model.bin'),
    );
  });

  test('shards read as one source; a key in two shards is refused', async () => {
    const a = new ShapeSource('a.safetensors', [['x', [2]]]);
    const b = new ShapeSource('b.safetensors', [['y', [3]]]);
    const merged = new MergedSource([a, b]);
    assert.deepEqual(merged.keys(), ['x', 'y']);
    assert.deepEqual(merged.entry('y')?.shape, [3]);
    assert.equal((await merged.readFloat32('y')).length, 3);
    assert.throws(() => new MergedSource([a, new ShapeSource('c.safetensors', [['x', [2]]])]), /x is in both a\.safetensors and c\.safetensors/);
  });
});

describe('text encoders in an original .yaml', () => {
  const cases: [string, string, { layout: string; penultimate: boolean; legacy: boolean }[]][] = [
    ['v1-inference', 'model:\n  target: ldm.models.diffusion.ddpm.LatentDiffusion\n  params:\n    cond_stage_config:\n      target: ldm.modules.encoders.modules.FrozenCLIPEmbedder\n', [{ layout: 'clip', penultimate: false, legacy: true }]],
    [
      'v2-inference',
      'model:\n  target: ldm.models.diffusion.ddpm.LatentDiffusion\n  params:\n    cond_stage_config:\n      target: ldm.modules.encoders.modules.FrozenOpenCLIPEmbedder\n      params:\n        freeze: True\n        layer: "penultimate"\n',
      [{ layout: 'open-clip', penultimate: true, legacy: true }],
    ],
    [
      'sd_xl_base',
      [
        'model:',
        '  target: sgm.models.diffusion.DiffusionEngine',
        '  params:',
        '    conditioner_config:',
        '      target: sgm.modules.GeneralConditioner',
        '      params:',
        '        emb_models:',
        '          - target: sgm.modules.encoders.modules.FrozenCLIPEmbedder',
        '            params: {layer: hidden, layer_idx: 11}',
        '          - target: sgm.modules.encoders.modules.FrozenOpenCLIPEmbedder2',
        '            params: {arch: ViT-bigG-14, layer: penultimate, always_return_pooled: True, legacy: False}',
        '          - target: sgm.modules.encoders.modules.ConcatTimestepEmbedderND',
        '            params: {outdim: 256}',
        '',
      ].join('\n'),
      [
        { layout: 'clip', penultimate: false, legacy: true },
        { layout: 'open-clip', penultimate: false, legacy: false },
      ],
    ],
  ];
  for (const [name, yaml, expected] of cases) {
    test(`${name}: SD 2's penultimate layer is dropped on import, SDXL's non-legacy encoder keeps every layer`, async () => {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, yaml);
      const described = originalTextEncoders(await readOriginalConfig(file));
      assert.deepEqual(described.map((d) => ({ layout: d.layout, penultimate: d.penultimate, legacy: d.legacy })), expected);
    });
  }
});

test('an fp16 import keeps the SDXL VAE in float32 unless it is fp16-safe; SD 1.x/2.x VAEs go fp16', () => {
  assert.equal(vaeFloatType('sdxl', 'float16', true), 'float32');
  assert.equal(vaeFloatType('sdxl', 'float16', false), 'float16');
  assert.equal(vaeFloatType('sd1', 'float16', true), 'float16');
  assert.equal(vaeFloatType('sd2', 'float32', true), 'float32');
});
