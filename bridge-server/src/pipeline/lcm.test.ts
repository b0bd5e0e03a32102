/**
 * LCM-distilled UNets take the guidance scale as `timestep_cond` instead of an unconditional pass:
 * the embedding is diffusers' get_guidance_scale_embedding (checked against torch), every UNet call
 * of the loop gets it, and no call runs an unconditional batch, whatever the guidance.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCheckpoint } from '../checkpoint/open-checkpoint.js';
import { requireTorch, runTorchScript } from '../checkpoint/testing/torch-python.js';
import { diffusersUnetWeights } from '../convert/layouts/diffusers-unet.js';
import { deriveUnetConfig } from '../convert/unet-config.js';
import { torchUnetCase } from '../graphs/testing/torch-unet.js';
import { buildUnet } from '../graphs/unet.js';
import { OnnxModel, type FeedValue } from '../runtime/index.js';
import { denoise, usesCfg } from './denoise.js';
import { guidanceScaleEmbedding } from './guidance-embedding.js';
import { BatchNoise } from './noise.js';
import { createScheduler } from './schedulers/index.js';

test('guidance embedding equals diffusers get_guidance_scale_embedding in torch', async (t) => {
  if ((await requireTorch(t)) === undefined) return;
  const cases: Array<[number, number]> = [
    [8, 256],
    [1, 256],
    [2.5, 7],
    [15, 512],
  ];
  const { stdout } = await runTorchScript(
    String.raw`
import json, sys, torch
def get_guidance_scale_embedding(w, embedding_dim=512, dtype=torch.float32):
    w = w * 1000.0
    half_dim = embedding_dim // 2
    emb = torch.log(torch.tensor(10000.0)) / (half_dim - 1)
    emb = torch.exp(torch.arange(half_dim, dtype=dtype) * -emb)
    emb = w.to(dtype)[:, None] * emb[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=1)
    if embedding_dim % 2 == 1:
        emb = torch.nn.functional.pad(emb, (0, 1))
    return emb
out = [get_guidance_scale_embedding(torch.tensor([g - 1.0]), d)[0].tolist() for g, d in json.loads(sys.argv[1])]
print(json.dumps(out))
`,
    [JSON.stringify(cases)],
  );
  const expected = JSON.parse(stdout) as number[][];
  for (const [i, [g, d]] of cases.entries()) {
    const got = guidanceScaleEmbedding(g, d);
    const want = expected[i] ?? [];
    assert.equal(got.length, want.length);
    let worst = 0;
    for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs((got[j] ?? 0) - (want[j] ?? 0)));
    // sin/cos of arguments up to 14000 in float32: the last bits of the argument differ.
    assert.ok(worst < 2e-3, `guidance ${g}, dim ${d}: max difference ${worst}`);
  }
});

test('an LCM UNet gets timestep_cond on every call and never an unconditional batch', async (t) => {
  const c = await torchUnetCase(t, 'sd1-lcm', 'fp32');
  if (c === undefined) return;
  const dir = await mkdtemp(join(tmpdir(), 'lb-lcm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const unetDir = join(c.dir, 'diffusers/unet');
  const source = await openCheckpoint(join(unetDir, 'diffusion_pytorch_model.safetensors'));
  const configJson: unknown = JSON.parse(await readFile(join(unetDir, 'config.json'), 'utf8'));
  const weights = diffusersUnetWeights(source).weights;
  await buildUnet(deriveUnetConfig(weights, { family: 'sd1', prediction: 'epsilon', configJson }), weights, { floatType: 'float32' }).write(dir, 'model.onnx', {
    location: 'model.onnx_data',
    thresholdBytes: 1024,
  });
  await source.close();
  await c.reference.close();
  const unet = await OnnxModel.open(join(dir, 'model.onnx'));
  t.after(() => unet.release());
  assert.equal(usesCfg(unet, 8), false, 'guidance lives in the UNet');

  const guidance = 8;
  const calls: Array<{ batch: number; cond: Float32Array }> = [];
  const run = unet.run.bind(unet);
  unet.run = (feeds: Readonly<Record<string, FeedValue>>) => {
    const sample = feeds['sample'];
    const cond = feeds['timestep_cond'];
    assert.ok(typeof sample === 'object' && typeof cond === 'object');
    calls.push({ batch: sample.dims[0] ?? -1, cond: cond.data as Float32Array });
    return run(feeds);
  };
  const scheduler = createScheduler('lcm', { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon' });
  scheduler.setTimesteps(2);
  const hidden = 48;
  const states = new Float32Array(7 * hidden).map((_, i) => Math.sin(i));
  const latents = new Float32Array(4 * 8 * 8).map((_, i) => Math.cos(i));
  const out = await denoise({
    unet,
    scheduler,
    timesteps: [...scheduler.timesteps],
    latents,
    shape: [1, 4, 8, 8],
    cond: { data: states, tokens: 7, hidden },
    uncond: undefined,
    guidance,
    noise: new BatchNoise(1, 1, 'per-image'),
  });
  assert.equal(out.length, latents.length);
  assert.ok(out.every(Number.isFinite));
  assert.equal(calls.length, 2, 'one UNet call per step');
  const embedding = guidanceScaleEmbedding(guidance, 256);
  for (const call of calls) {
    assert.equal(call.batch, 1, 'no unconditional rows');
    assert.deepEqual([...call.cond], [...embedding]);
  }
});
