/**
 * The rest of /sdapi/v1 over real HTTP: the token as A1111 clients send it, browser origins,
 * options written, read and kept across restarts, every list endpoint, and progress, interrupt and
 * skip on running jobs in the bridge's shared queue.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BASIC, decodeResult, SIMPLE_TXT2IMG, startA1111Bridge, TOKEN, type A1111TestBridge } from './testing/a1111-client.js';

let dir: string;
let t: A1111TestBridge;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-a1111-api-'));
  t = await startA1111Bridge({ dir, models: [{ name: 'tiny', kind: 'tiny-random' }] });
});
after(async () => {
  await t.stop();
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the token: as HTTP Basic password (any user) or Bearer; missing or wrong is A1111\'s 401', async () => {
  for (const auth of [BASIC, `Basic ${Buffer.from(`:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN}`]) {
    assert.equal((await t.get('/sdapi/v1/samplers', auth)).status, 200, auth);
  }
  const none = await t.get('/sdapi/v1/sd-models', null);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Basic');
  assert.deepEqual(none.json, { error: 'HTTPException', detail: 'Not authenticated', body: '', errors: '401: Not authenticated' });
  const wrong = await t.post('/sdapi/v1/txt2img', SIMPLE_TXT2IMG, `Basic ${Buffer.from('artist:guess').toString('base64')}`);
  assert.deepEqual([wrong.status, wrong.json['detail']], [401, 'Incorrect username or password']);
  assert.equal((await t.get('/internal/ping', null)).status, 401);
  assert.deepEqual((await t.get('/internal/ping')).json, {});
});

test('a browser origin is refused before any A1111 route, as for our own API', async () => {
  const res = await fetch(`${t.bridge.url}/sdapi/v1/txt2img`, {
    method: 'POST',
    headers: { origin: 'https://evil.example', authorization: BASIC, 'content-type': 'application/json' },
    body: JSON.stringify(SIMPLE_TXT2IMG),
  });
  assert.equal(res.status, 403);
  assert.equal(((await res.json()) as { code: string }).code, 'forbidden_origin');
});

test('unknown paths and methods answer as FastAPI does', async () => {
  assert.deepEqual([(await t.get('/sdapi/v1/nope')).status, (await t.get('/sdapi/v1/nope')).json], [404, { detail: 'Not Found' }]);
  const wrongMethod = await t.get('/sdapi/v1/txt2img');
  assert.deepEqual([wrongMethod.status, wrongMethod.json], [405, { detail: 'Method Not Allowed' }]);
  const notJson = await t.post('/sdapi/v1/txt2img', '{"prompt": ');
  assert.equal(notJson.status, 422);
});

test("options: A1111's test_options_write, sd_model_checkpoint switches the model, settings survive a restart", async () => {
  const before = (await t.get('/sdapi/v1/options')).json as Record<string, unknown>;
  assert.equal(before['sd_model_checkpoint'], 'tiny');
  assert.equal(before['randn_source'], 'CPU');
  const pre = before['send_seed'] as boolean;
  const set = await t.post('/sdapi/v1/options', { send_seed: !pre, my_extension_key: [1, 2] });
  assert.deepEqual([set.status, set.json], [200, null]);
  const read = (await t.get('/sdapi/v1/options')).json as Record<string, unknown>;
  assert.deepEqual([read['send_seed'], read['my_extension_key']], [!pre, [1, 2]]);

  assert.equal((await t.post('/sdapi/v1/options', { sd_model_checkpoint: 'demo' })).status, 200);
  assert.equal(((await t.get('/sdapi/v1/options')).json as Record<string, unknown>)['sd_model_checkpoint'], 'demo');
  const gen = await t.post('/sdapi/v1/txt2img', { prompt: 'red', steps: 2, width: 64, height: 64, seed: 1 });
  assert.match((JSON.parse(gen.json['info'] as string) as { infotexts: string[] }).infotexts[0] ?? '', /Model: demo,/);
  const bad = await t.post('/sdapi/v1/options', { sd_model_checkpoint: 'nope' });
  assert.deepEqual(bad.json, { error: 'RuntimeError', detail: '', body: '', errors: "model 'nope' not found" });
  assert.equal(bad.status, 500);
  const unknownOverride = await t.post('/sdapi/v1/txt2img', { ...SIMPLE_TXT2IMG, override_settings: { sd_model_checkpoint: 'nope' } });
  assert.deepEqual([unknownOverride.status, unknownOverride.json['detail']], [404, 'Model not found']);

  // A restart on the same config dir keeps them.
  await t.stop();
  t = await startA1111Bridge({ dir, models: [{ name: 'tiny', kind: 'tiny-random' }] });
  const again = (await t.get('/sdapi/v1/options')).json as Record<string, unknown>;
  assert.deepEqual([again['send_seed'], again['my_extension_key'], again['sd_model_checkpoint']], [!pre, [1, 2], 'demo']);
  await t.post('/sdapi/v1/options', { sd_model_checkpoint: 'tiny', send_seed: pre });
});

test('every list endpoint answers in A1111\'s shapes with what the bridge has', async () => {
  const get = async (route: string) => {
    const res = await t.get(`/sdapi/v1/${route}`);
    assert.equal(res.status, 200, route);
    return res.json;
  };
  const models = (await get('sd-models')) as Array<Record<string, unknown>>;
  assert.deepEqual(models.map((m) => m['model_name']), ['tiny', 'demo', 'demo-inpaint']);
  assert.deepEqual(Object.keys(models[0] ?? {}), ['title', 'model_name', 'hash', 'sha256', 'filename', 'config']);
  const samplers = (await get('samplers')) as Array<{ name: string; aliases: string[]; options: Record<string, unknown> }>;
  assert.ok(samplers.some((s) => s.name === 'Euler a' && s.aliases.includes('k_euler_a')));
  assert.deepEqual(((await get('schedulers')) as Array<{ name: string }>).map((s) => s.name), ['automatic', 'uniform', 'karras', 'exponential']);
  assert.deepEqual(((await get('upscalers')) as Array<{ name: string }>).map((s) => s.name), ['None', 'Lanczos', 'Nearest']);
  assert.equal(((await get('latent-upscale-modes')) as unknown[]).length, 6);
  for (const empty of ['sd-vae', 'hypernetworks', 'face-restorers', 'realesrgan-models', 'loras', 'extensions', 'prompt-styles']) assert.deepEqual(await get(empty), [], empty);
  assert.deepEqual(await get('embeddings'), { loaded: {}, skipped: {} });
  const memory = (await get('memory')) as { ram: { total: number; used: number } };
  assert.ok(memory.ram.total > memory.ram.used && memory.ram.used > 0);
  assert.equal(((await get('cmd-flags')) as Record<string, unknown>)['api'], true);
  assert.deepEqual(await get('scripts'), { txt2img: [], img2img: ['sd upscale'] });
  assert.equal(((await get('script-info')) as unknown[]).length, 1);
  for (const post of ['refresh-checkpoints', 'refresh-vae', 'refresh-embeddings', 'refresh-loras']) assert.equal((await t.post(`/sdapi/v1/${post}`, {})).status, 200, post);
});

async function pollProgress(until: (p: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = (await t.get('/sdapi/v1/progress')).json as Record<string, unknown>;
    if (until(p)) return p;
    if (Date.now() > deadline) throw new Error(`progress never matched: ${JSON.stringify(p).slice(0, 300)}`);
    await sleep(50);
  }
}

test('progress while a job runs (with a live preview), then /interrupt ends it with the image so far', async () => {
  const idle = (await t.get('/sdapi/v1/progress')).json as Record<string, unknown>;
  assert.deepEqual([idle['progress'], idle['eta_relative'], (idle['state'] as Record<string, unknown>)['job_count']], [0, 0, 0]);
  const running = t.post('/sdapi/v1/txt2img', { prompt: 'slow', steps: 150, width: 192, height: 192, seed: 3 });
  const p = await pollProgress((x) => ((x['state'] as Record<string, number>)['sampling_step'] ?? 0) >= 12 && x['current_image'] !== null);
  const state = p['state'] as Record<string, unknown>;
  assert.deepEqual([state['job'], state['job_count'], state['sampling_steps'], state['interrupted']], ['scripts_txt2img', 1, 150, false]);
  assert.ok((p['progress'] as number) > 0.01 && (p['progress'] as number) < 1);
  assert.ok((p['eta_relative'] as number) > 0);
  const preview = await decodeResult(p['current_image'] as string);
  assert.deepEqual([preview.image.width, preview.image.height], [24, 24]);
  assert.equal(((await t.get('/sdapi/v1/progress?skip_current_image=true')).json as Record<string, unknown>)['current_image'], null);
  assert.deepEqual((await t.post('/sdapi/v1/interrupt', {})).json, {});
  const res = await running;
  assert.equal(res.status, 200);
  assert.equal((res.json['images'] as string[]).length, 1);
  await pollProgress((x) => (x['state'] as Record<string, number>)['job_count'] === 0);
});

test('/skip ends the current batch and goes on with the next', async () => {
  const running = t.post('/sdapi/v1/txt2img', { prompt: 'slow', steps: 150, n_iter: 2, width: 192, height: 192, seed: 3 });
  await pollProgress((x) => ((x['state'] as Record<string, number>)['sampling_step'] ?? 0) >= 5);
  assert.equal((await t.post('/sdapi/v1/skip', {})).status, 200);
  await pollProgress((x) => (x['state'] as Record<string, number>)['job_no'] === 1 && ((x['state'] as Record<string, number>)['sampling_step'] ?? 0) >= 1);
  await t.post('/sdapi/v1/interrupt', {});
  const res = await running;
  assert.equal((res.json['images'] as string[]).length, 2);
});

test('an A1111 request waits its turn behind other work in the shared queue', async () => {
  const ws = new AbortController();
  const other = fetch(`${t.bridge.url}/v1/jobs`, {
    method: 'POST',
    signal: ws.signal,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ mode: 'txt2img', model: 'tiny', prompt: 'slow', steps: 150, guidance: 7, scheduler: 'euler', width: 256, height: 256, seed: 1 }),
  }).catch(() => undefined);
  // The other job must hold the queue before ours arrives (a loaded machine can take a while).
  for (const deadline = Date.now() + 30_000; ; await sleep(50)) {
    const health = (await (await fetch(`${t.bridge.url}/health`)).json()) as { state: string };
    if (health.state === 'busy') break;
    if (Date.now() > deadline) throw new Error('the other job never started');
  }
  const mine = t.post('/sdapi/v1/txt2img', { prompt: 'mine', steps: 2, width: 64, height: 64, seed: 2 });
  const waiting = await pollProgress((x) => typeof x['textinfo'] === 'string' && /Waiting in the queue/.test(x['textinfo']));
  assert.equal((waiting['state'] as Record<string, number>)['job_count'], 0);
  ws.abort();
  await other;
  const res = await mine;
  assert.equal(res.status, 200);
});
