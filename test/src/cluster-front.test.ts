import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkpointFixtureDir } from '../../bridge-server/dist/convert/testing/checkpoint-fixtures.js';
import { BridgeClient } from './bridge-client.js';
import { redisServerPath, TestRedis, WorkerProcess } from './cluster-harness.js';
import { runOn, waitFor } from './cluster-jobs.js';
import { startTestBridge, type TestBridge } from './test-server.js';

// What a queue front used to refuse: import-model (and first-use imports) run on the worker whose
// checkpoints folder has the file, and A1111 txt2img/img2img run on a worker holding the model,
// answering as a single-process bridge does. A real redis-server, two real workers: one with two
// tiny checkpoint files (torch's fixture), one without any.

const skip = redisServerPath() === undefined && process.env['LATENT_BRIDGE_REQUIRE_REDIS'] !== '1' ? 'redis-server is not installed (scripts/ensure-redis.sh)' : false;

let dir: string;
let redis: TestRedis;
let front: TestBridge;
let single: TestBridge;
/** The worker whose checkpoints folder has the files, and one whose folder is empty. */
let holder: WorkerProcess;
let other: WorkerProcess;
/** Why the import tests cannot run here (no torch for the fixture), or undefined. */
let noFixture: string | undefined;

const CHECKPOINT = 'tiny-sd1.safetensors';
const FIRST_USE_FILE = 'Tiny SD1 (ckpt).ckpt';
const FIRST_USE_MODEL = 'Tiny-SD1-ckpt';

before(async () => {
  if (skip !== false) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-cluster-front-'));
  redis = await TestRedis.start();
  const folders = (name: string): string[] => ['--models', path.join(dir, name, 'models'), '--checkpoints', path.join(dir, name, 'checkpoints')];
  await mkdir(path.join(dir, 'holder', 'checkpoints'), { recursive: true });
  try {
    const fixture = await checkpointFixtureDir('sd1', 'fp32');
    await copyFile(path.join(fixture, 'model.safetensors'), path.join(dir, 'holder', 'checkpoints', CHECKPOINT));
    await copyFile(path.join(fixture, 'model.ckpt'), path.join(dir, 'holder', 'checkpoints', FIRST_USE_FILE));
  } catch (err) {
    noFixture = `no tiny checkpoint fixture: ${String(err).split('\n')[0] ?? ''}`;
  }
  holder = await WorkerProcess.start(redis.url, path.join(dir, 'config'), folders('holder'));
  other = await WorkerProcess.start(redis.url, path.join(dir, 'config'), folders('other'));
  front = await startTestBridge({ queue: redis.url });
  single = await startTestBridge();
});

after(async () => {
  if (skip !== false) return;
  await front.stop();
  await single.stop();
  await Promise.all([holder, other].map((w) => w.stop('SIGKILL')));
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function modelNames(bridge: TestBridge): Promise<string[]> {
  const res = await fetch(`${bridge.url}/v1/models`, { headers: { authorization: `Bearer ${bridge.token ?? ''}` } });
  return ((await res.json()) as { models: Array<{ name: string }> }).models.map((m) => m.name).sort();
}

test('import-model through a front runs on the worker holding the file, reports progress, and the model is then listed and runs', { skip }, async (t) => {
  if (noFixture !== undefined) return t.skip(noFixture);
  const a = await BridgeClient.connect(front.wsUrl, front.token, 'importer');
  const b = await BridgeClient.connect(front.wsUrl, front.token, 'watcher');
  t.after(() => {
    a.close();
    b.close();
  });
  const welcome = a.messages.find((m) => m.type === 'welcome');
  assert.ok(welcome?.type === 'welcome');
  assert.deepEqual(welcome.capabilities.checkpoints?.map((c) => c.name), [FIRST_USE_FILE, CHECKPOINT], 'the front lists the files its workers hold');

  // No live worker has it: typed, naming the field.
  let from = a.mark();
  a.send({ type: 'import-model', id: 'missing', source: 'nope.safetensors' });
  const missing = await a.nextMessage((m) => (m.type === 'error' || m.type === 'done') && m.id === 'missing', 10_000, from);
  assert.ok(missing.type === 'error' && missing.code === 'model_not_found' && missing.field === 'source', JSON.stringify(missing));

  const bFrom = b.mark();
  from = a.mark();
  a.send({ type: 'import-model', id: 'imp', source: CHECKPOINT, name: 'tiny' });
  const trace = await a.job('imp', 120_000, from);
  assert.ok(trace.end.type === 'done' && trace.end.model === 'tiny' && trace.end.results === 0, JSON.stringify(trace.end));
  const kinds = trace.messages.map((m) => m.type);
  assert.deepEqual([kinds[0], kinds[1], kinds.at(-1)], ['queued', 'started', 'done'], kinds.join(' '));
  const steps = trace.messages.flatMap((m) => (m.type === 'progress' ? [m] : []));
  assert.ok(steps.length >= 2 && steps.every((p) => p.phase === 'import' && p.total === 1000), JSON.stringify(steps.slice(0, 3)));
  assert.ok(steps.every((p, i) => i === 0 || p.step > (steps[i - 1]?.step ?? 0)), 'import progress only moves forward');

  // It ran on the worker that has the file; the front lists it as soon as `done` came.
  assert.ok(((await holder.health())['models'] as string[]).includes('tiny'));
  assert.ok(!((await other.health())['models'] as string[]).includes('tiny'));
  assert.ok((await modelNames(front)).includes('tiny'));
  assert.deepEqual(await readdir(path.join(dir, 'other', 'models')).catch(() => []), [], 'nothing was imported on the other worker');
  const pushed = await b.nextMessage((m) => m.type === 'models' && m.models.some((x) => x.name === 'tiny'), 10_000, bFrom);
  assert.ok(pushed.type === 'models');
  assert.equal(pushed.checkpoints?.find((c) => c.name === CHECKPOINT)?.imported, 'tiny', JSON.stringify(pushed.checkpoints));

  const gen = await runOn(a, { fields: { mode: 'txt2img', model: 'tiny', prompt: 'a lighthouse', steps: 2, guidance: 7, scheduler: 'euler', seed: 3, width: 64, height: 64 } });
  assert.equal(gen.end.type, 'done', JSON.stringify(gen.end));
  const result = gen.messages.find((m) => m.type === 'result');
  assert.ok(result?.type === 'result');
  assert.match(result.parameters, /Model hash: [0-9a-f]{10}, Model: tiny/);
});

test('a generate naming a checkpoint not imported yet imports it on the worker holding it, then runs; one no worker has is model_not_found', { skip }, async (t) => {
  if (noFixture !== undefined) return t.skip(noFixture);
  const c = await BridgeClient.connect(front.wsUrl, front.token, 'first-use');
  t.after(() => c.close());
  const fields = { mode: 'txt2img', prompt: 'a lighthouse', steps: 2, guidance: 7, scheduler: 'euler', seed: 3, width: 64, height: 64 } as const;
  const trace = await runOn(c, { fields: { ...fields, model: FIRST_USE_MODEL } });
  assert.equal(trace.end.type, 'done', JSON.stringify(trace.end));
  const kinds = trace.messages.map((m) => (m.type === 'progress' ? `progress:${m.phase ?? 'denoise'}` : m.type));
  const queuedAt = kinds.indexOf('queued');
  assert.ok(queuedAt > 0 && kinds.slice(0, queuedAt).every((k) => k === 'progress:import'), kinds.join(' '));
  assert.ok(((await holder.health())['models'] as string[]).includes(FIRST_USE_MODEL));
  assert.ok((await modelNames(front)).includes(FIRST_USE_MODEL));

  const none = await runOn(c, { fields: { ...fields, model: 'nowhere-ckpt' } });
  assert.ok(none.end.type === 'error' && none.end.code === 'model_not_found' && none.end.field === 'model', JSON.stringify(none.end));
});

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

async function a1111(bridge: TestBridge, route: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  const res = await fetch(`${bridge.url}/sdapi/v1/${route}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bridge.token ?? ''}` },
    ...(signal !== undefined ? { signal } : {}),
  });
  return { status: res.status, text: await res.text() };
}

/** The answer with job_timestamp (the second the job began, part of A1111's info) blanked. */
function timeless(text: string): unknown {
  const answer = JSON.parse(text) as { info?: string };
  if (typeof answer.info === 'string') answer.info = answer.info.replace(/"job_timestamp": "\d+"/, '"job_timestamp": ""');
  return answer;
}

test('A1111 txt2img and img2img through a front answer as the single-process bridge does, byte for byte', { skip }, async () => {
  const common = { prompt: 'red (blue:1.2) [green:yellow:0.5]', negative_prompt: 'gray', steps: 5, width: 64, height: 64, seed: 1234, subseed: 42, sampler_name: 'Euler a', cfg_scale: 3, override_settings: { sd_model_checkpoint: 'demo' } };
  const requests: Array<[string, Record<string, unknown>]> = [
    ['txt2img', { ...common, batch_size: 2 }],
    ['txt2img', { ...common, enable_hr: true, hr_scale: 1.5, hr_second_pass_steps: 3, denoising_strength: 0.6, tiling: true }],
    ['img2img', { ...common, init_images: [PIXEL], denoising_strength: 0.7, resize_mode: 1 }],
  ];
  for (const [route, body] of requests) {
    const [remote, local] = await Promise.all([a1111(front, route, body), a1111(single, route, body)]);
    assert.equal(remote.status, 200, `${route} via the front: ${remote.text.slice(0, 400)}`);
    assert.equal(local.status, 200, `${route} single-process: ${local.text.slice(0, 400)}`);
    const r = timeless(remote.text) as { images: string[]; parameters: unknown; info: string };
    const l = timeless(local.text) as { images: string[]; parameters: unknown; info: string };
    assert.ok(r.images.length >= 1);
    assert.deepEqual(r.images, l.images, `${route}: image bytes differ from the single-process bridge's`);
    assert.deepEqual(r.parameters, l.parameters, `${route}: parameters`);
    assert.equal(r.info, l.info, `${route}: info`);
    // Apart from the timestamp, the very same bytes.
    assert.equal(JSON.stringify(r), JSON.stringify(l));
  }
  // What the front checks itself comes back as before, without queueing: the same 4xx.
  for (const [route, body] of [['txt2img', { ...common, script_name: 'nope' }], ['img2img', { ...common, init_images: [] }]] as const) {
    const [remote, local] = await Promise.all([a1111(front, route, body), a1111(single, route, body)]);
    assert.equal(remote.status, local.status, `${route}: ${remote.text}`);
    assert.equal(remote.text, local.text);
  }
  // And what only the worker can find out (a LoRA it lacks) comes back in A1111's shape too.
  const lora = { ...common, prompt: 'red <lora:absent:1>' };
  const [remote, local] = await Promise.all([a1111(front, 'txt2img', lora), a1111(single, 'txt2img', lora)]);
  assert.equal(remote.status, 422, remote.text);
  assert.equal(remote.status, local.status);
  assert.equal((JSON.parse(remote.text) as { error: string }).error, (JSON.parse(local.text) as { error: string }).error);
});

/** The worker log line of a cancelled A1111 job: how many steps ran after the cancel arrived. */
function cancelLine(): RegExpExecArray | undefined {
  for (const w of [holder, other]) {
    const m = /\((a1111-\d+)\) cancelled; (\d+) step/.exec(w.log);
    if (m !== null) return m;
  }
  return undefined;
}

async function progress(): Promise<{ state: { sampling_step: number; sampling_steps: number; job_count: number }; progress: number }> {
  const res = await fetch(`${front.url}/sdapi/v1/progress?skip_current_image=true`, { headers: { authorization: `Bearer ${front.token ?? ''}` } });
  return (await res.json()) as { state: { sampling_step: number; sampling_steps: number; job_count: number }; progress: number };
}

/** A1111 keeps the last job's step counts after it ends: only job_count says one runs now. */
function running(p: { state: { job_count: number; sampling_steps: number } }): boolean {
  return p.state.job_count !== 0 && p.state.sampling_steps === LONG.steps;
}

/** 30 batches one after the other: A1111's interrupt ends the batch running and skips the rest. */
const LONG = { prompt: 'blue', steps: 150, width: 1024, height: 1024, batch_size: 1, n_iter: 30, seed: 9, sampler_name: 'Euler', override_settings: { sd_model_checkpoint: 'demo' } };

test('A1111 through a front: /progress mirrors the worker, /interrupt ends sampling early, a client that goes away cancels within a step', { skip }, async (t) => {
  // Interrupt: A1111 answers with the images made so far, not the 30 asked for.
  const answer = a1111(front, 'txt2img', LONG);
  const first = await waitFor('sampling under way', async () => {
    const p = await progress();
    return running(p) && p.state.sampling_step >= 2 ? { p, at: performance.now() } : undefined;
  }, 120_000);
  assert.equal(first.p.state.sampling_steps, 150);
  assert.ok(first.p.progress > 0 && first.p.progress < 1, JSON.stringify(first.p));
  const second = await waitFor('another step', async () => {
    const p = await progress();
    return p.state.sampling_step >= first.p.state.sampling_step + 2 ? { p, at: performance.now() } : undefined;
  }, 120_000);
  const perStep = (second.at - first.at) / (second.p.state.sampling_step - first.p.state.sampling_step);
  const interruptedAt = performance.now();
  const res = await fetch(`${front.url}/sdapi/v1/interrupt`, { method: 'POST', headers: { authorization: `Bearer ${front.token ?? ''}` } });
  assert.equal(res.status, 200);
  const done = await answer;
  const took = performance.now() - interruptedAt;
  assert.equal(done.status, 200, done.text.slice(0, 300));
  const left = 150 - second.p.state.sampling_step;
  t.diagnostic(`answer ${Math.round(took)} ms after /interrupt; the ${left} steps left of the first batch would take about ${Math.round(perStep * left)} ms`);
  const made = (JSON.parse(done.text) as { images: string[] }).images.length;
  assert.ok(made >= 1 && made < LONG.n_iter, `${made} images: /interrupt did not stop the job on its worker`);
  assert.equal((await progress()).state.job_count, 0, 'the front state is idle again');

  // Disconnect: the job stops on its worker within a step.
  const leaving = new AbortController();
  const gone = a1111(front, 'txt2img', { ...LONG, seed: 10 }, leaving.signal).catch((err: unknown) => err);
  await waitFor('sampling under way', async () => {
    const p = await progress();
    return running(p) && p.state.sampling_step >= 2 ? true : undefined;
  }, 120_000);
  leaving.abort();
  assert.ok((await gone) instanceof Error);
  const line = await waitFor('the worker\'s cancel line', () => cancelLine(), 30_000);
  assert.ok(Number(line[2]) <= 1, `steps after the cancel arrived: ${line[2]}`);
  await waitFor('no job active', async () => {
    const h = (await (await fetch(`${front.url}/health`)).json()) as { queue: { jobs: Record<string, number> } };
    return h.queue.jobs['active'] === 0 ? true : undefined;
  });
});
