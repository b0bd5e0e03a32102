import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BridgeError, parseClientMessage, resolveLimits, type GenerateMessage } from '@latent-bridge/shared';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { BridgeCore } from './bridge-core.js';
import { ensureDemoModels } from './demo-models.js';
import type { JobEnd, JobSink } from './job-types.js';
import { ModelCache } from './model-cache.js';
import { ModelCatalog } from './model-catalog.js';

let dir: string;
let core: BridgeCore;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-core-'));
  const demo = await ensureDemoModels(dir);
  // demo-inpaint stands for a model whose files onnxruntime cannot open.
  const cache = new ModelCache(1 << 30, { threads: 1 }, (info, options) =>
    info.name === 'demo-inpaint' ? Promise.reject(new Error('corrupt protobuf')) : LoadedModel.load(info, options),
  );
  core = new BridgeCore({ limits: resolveLimits(), catalog: new ModelCatalog(undefined, demo), cache });
});
after(async () => {
  await core.close();
  await rm(dir, { recursive: true, force: true });
});

function generate(id: string, model: string): GenerateMessage {
  const msg = parseClientMessage({ type: 'generate', id, mode: 'txt2img', model, prompt: 'red', steps: 2, guidance: 1, scheduler: 'euler', width: 64, height: 64 });
  return msg as GenerateMessage;
}

function recordingSink(log: string[]): { sink: JobSink; end: Promise<JobEnd> } {
  let finish!: (end: JobEnd) => void;
  const end = new Promise<JobEnd>((resolve) => (finish = resolve));
  const sink: JobSink = {
    started: () => void log.push('started'),
    progress: (step) => void log.push(`progress ${step}`),
    wantsPreview: () => false,
    preview: () => undefined,
    result: (index, _seed, _parameters, image) => void log.push(`result ${index} ${image.width}x${image.height}`),
    finish,
  };
  return { sink, end };
}

test('a model that fails to load ends its job with model_load_failed; the next job runs', async () => {
  const brokenLog: string[] = [];
  const okLog: string[] = [];
  const broken = recordingSink(brokenLog);
  const ok = recordingSink(okLog);
  core.submit('a', 'j1', await core.prepare(generate('j1', 'demo-inpaint'), undefined, undefined), broken.sink);
  core.submit('b', 'j2', await core.prepare(generate('j2', 'demo'), undefined, undefined), ok.sink);
  const e = await broken.end;
  assert.equal(e.kind, 'error');
  assert.ok(e.kind === 'error' && e.error.code === 'model_load_failed' && e.error.field === 'model', JSON.stringify(e));
  const done = await ok.end;
  assert.equal(done.kind, 'done');
  assert.deepEqual(okLog, ['started', 'progress 1', 'progress 2', 'result 0 64x64']);
  await new Promise((r) => setImmediate(r));
  assert.equal(core.state(), 'idle');
});

test('prepare refuses unknown models and schedulers before anything is queued', async () => {
  await assert.rejects(core.prepare(generate('x', 'nope'), undefined, undefined), (e: unknown) => e instanceof BridgeError && e.code === 'model_not_found' && e.field === 'model');
  await assert.rejects(
    core.prepare({ ...generate('x', 'demo'), scheduler: 'warp' }, undefined, undefined),
    (e: unknown) => e instanceof BridgeError && e.code === 'unknown_scheduler',
  );
  assert.equal(core.queueLength(), 0);
});
