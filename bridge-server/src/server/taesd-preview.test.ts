/**
 * Step previews through TAESD: a model with a TAESD decoder installed in its folder gets
 * full-size previews from it (the same image a direct TAESD run gives, from the latents of that
 * step even when the loop reuses its buffer), and falls back to the linear map when the decoder
 * fails; a model without one keeps the linear map.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { installTaesd } from '../convert/taesd-install.js';
import { inspectModel } from '../models/index.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { findTaesdDecoder, PREVIEWS_FOLDER, taesdPreview } from '../pipeline/preview-decoder.js';
import { makeTestModel } from '../testmodels/index.js';
import { writeRandomTaesdDecoder } from '../testmodels/taesd.js';
import { JobOutput } from './job-output.js';
import type { EncodedImage, JobEvents, JobSpec } from './job-types.js';
import { latentPreview } from './latent-preview.js';

let dir: string;
let model: LoadedModel;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-taesd-preview-'));
  await makeTestModel('tiny-random', path.join(dir, 'store', 'tiny'));
  await writeRandomTaesdDecoder(path.join(dir, 'taesd_decoder.safetensors'), 3);
  await installTaesd(path.join(dir, 'taesd_decoder.safetensors'), path.join(dir, 'store', 'tiny', 'taesd_decoder'), 'taesd');
  model = await LoadedModel.load(await inspectModel(path.join(dir, 'store', 'tiny')));
});

after(async () => {
  await model.release();
  await rm(dir, { recursive: true, force: true });
});

function collector(): { events: JobEvents; previews: Array<{ index: number; step: number; image: EncodedImage }> } {
  const previews: Array<{ index: number; step: number; image: EncodedImage }> = [];
  const events: JobEvents = {
    started: () => undefined,
    progress: () => undefined,
    wantsPreview: () => true,
    preview: (index, step, image) => previews.push({ index, step, image }),
    result: () => undefined,
  };
  return { events, previews };
}

function spec(): JobSpec {
  return { model: model.info, request: { mode: 'txt2img', prompt: 'x' } as unknown as JobSpec['request'], previewEvery: 1, previewFormat: 'raw-rgba', resultFormat: 'raw-rgba' };
}

test('a TAESD decoder in the model folder gives full-size previews of that step', async () => {
  const taesd = await model.previewDecoder();
  assert.ok(taesd, 'the installed decoder is found');
  const { events, previews } = collector();
  const out = new JobOutput(spec(), events, new AbortController().signal);
  out.usePreviewDecoder((l, s, i) => taesdPreview(taesd, l, s, i));
  const shape = [2, 4, 8, 12] as const;
  const latents = new Float32Array(2 * 4 * 8 * 12).map((_, i) => Math.sin(i * 0.37) * 2);
  const expected = await Promise.all([0, 1].map((i) => taesdPreview(taesd, latents, shape, i)));
  out.maybePreview({ step: 3, total: 10, latents, shape, elapsedMs: 0 } as Parameters<JobOutput['maybePreview']>[0]);
  latents.fill(0); // the next step overwrites the buffer before the preview is decoded
  await out.flush();
  assert.equal(previews.length, 2);
  for (const [i, p] of previews.entries()) {
    assert.equal(p.index, i);
    assert.equal(p.step, 3);
    assert.equal(p.image.width, 96);
    assert.equal(p.image.height, 64);
    assert.deepEqual(p.image.payload, expected[i]?.data);
  }
  assert.ok(out.previewMs > 0);
});

test('decoded previews stay within 5 % of the job: a step past the budget or during a decode gets the linear map', async () => {
  const { events, previews } = collector();
  const out = new JobOutput(spec(), events, new AbortController().signal);
  let calls = 0;
  const slow = async (l: Float32Array, s: readonly [number, number, number, number], i: number) => {
    calls++;
    await new Promise((r) => setTimeout(r, 40));
    return latentPreview(l, s, i);
  };
  out.usePreviewDecoder(slow);
  const shape = [1, 4, 8, 8] as const;
  const latents = new Float32Array(4 * 64);
  const step = (n: number) => out.maybePreview({ step: n, total: 9, latents, shape, elapsedMs: 0 } as Parameters<JobOutput['maybePreview']>[0]);
  step(1);
  step(2); // the first is still decoding
  await out.flush();
  step(3); // 40 ms of decoding after ~40 ms of job: far over 5 %
  await out.flush();
  assert.equal(calls, 1);
  assert.equal(previews.length, 3, 'every step still gets a preview');
  assert.ok(out.previewMs >= 30);
});

test('a failing decoder falls back to the linear map; no decoder found for a bare model', async () => {
  const { events, previews } = collector();
  const out = new JobOutput(spec(), events, new AbortController().signal);
  out.usePreviewDecoder(() => Promise.reject(new Error('broken')));
  const shape = [1, 4, 8, 8] as const;
  const latents = new Float32Array(4 * 64).map((_, i) => Math.cos(i));
  out.maybePreview({ step: 1, total: 2, latents, shape, elapsedMs: 0 } as Parameters<JobOutput['maybePreview']>[0]);
  await out.flush();
  assert.deepEqual(previews[0]?.image.payload, latentPreview(latents, shape, 0).data);
  await makeTestModel('oracle', path.join(dir, 'bare'));
  assert.equal(await findTaesdDecoder({ dir: path.join(dir, 'bare'), family: 'sd1' }), undefined);
  // The store-wide previews folder serves every model of the latent space.
  assert.equal(await findTaesdDecoder({ dir: path.join(dir, 'store', 'other'), family: 'sdxl' }), undefined);
  await installTaesd(path.join(dir, 'taesd_decoder.safetensors'), path.join(dir, 'store', PREVIEWS_FOLDER, 'taesdxl'), 'taesdxl');
  assert.equal(await findTaesdDecoder({ dir: path.join(dir, 'store', 'other'), family: 'sdxl' }), path.join(dir, 'store', PREVIEWS_FOLDER, 'taesdxl', 'model.onnx'));
});
