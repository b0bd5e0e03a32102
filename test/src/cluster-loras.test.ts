import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import type { ServerMessage } from '@latent-bridge/shared';
import { hashModelFile, writeSafetensors } from '../../bridge-server/dist/checkpoint/index.js';
import { importModel } from '../../bridge-server/dist/convert/import-model.js';
import { loraFixture } from '../../bridge-server/dist/lora/testing/lora-fixtures.js';
import { ModelStore } from '../../bridge-server/dist/models/model-store.js';
import { BridgeClient } from './bridge-client.js';
import { redisServerPath, TestRedis, WorkerProcess } from './cluster-harness.js';
import { assertSameResults, runOn, type ClusterJob } from './cluster-jobs.js';
import { startTestBridge, type TestBridge } from './test-server.js';

// LoRAs named by generates through a queue front, as on a single-process bridge: a real
// redis-server, two real workers with the tiny SD 1.x checkpoint (torch's fixture) and different
// LoRA folders. `holder` has "ink" (and an SDXL one), `other` has "bold" only; the single-process
// bridge has holder's folders, so a job with "ink" must run on holder to give its bytes.

const skip = redisServerPath() === undefined && process.env['LATENT_BRIDGE_REQUIRE_REDIS'] !== '1' ? 'redis-server is not installed (scripts/ensure-redis.sh)' : false;

interface Setup {
  dir: string;
  redis: TestRedis;
  front: TestBridge;
  single: TestBridge;
  holder: WorkerProcess;
  other: WorkerProcess;
  /** A1111's short hash of ink.safetensors (its addnet hash). */
  inkHash: string;
}

let setup: Promise<Setup | undefined> | undefined;

/** Made once, by the first test (the fixture needs a test's context to skip without torch). */
function cluster(t: TestContext): Promise<Setup | undefined> {
  setup ??= (async () => {
    const fixture = await loraFixture(t, 'sd1');
    if (fixture === undefined) return undefined;
    await fixture.reference.close();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lb-cluster-loras-'));
    const models = path.join(dir, 'models');
    await importModel({ source: path.join(fixture.base.dir, 'model.safetensors'), store: new ModelStore(models), name: 'tiny' });
    const full = path.join(dir, 'loras-full');
    const part = path.join(dir, 'loras-part');
    await mkdir(path.join(full, 'styles'), { recursive: true });
    await mkdir(part, { recursive: true });
    await copyFile(path.join(fixture.dir, 'a.safetensors'), path.join(full, 'styles', 'ink.safetensors'));
    await copyFile(path.join(fixture.dir, 'b.safetensors'), path.join(part, 'bold.safetensors'));
    // A LoRA whose second text encoder marks it SDXL.
    const xl = 'lora_te2_text_model_encoder_layers_0_self_attn_q_proj';
    await writeSafetensors(path.join(full, 'xl-detail.safetensors'), [
      { key: `${xl}.lora_down.weight`, dtype: 'F32', shape: [2, 1280], data: new Uint8Array(2 * 1280 * 4) },
      { key: `${xl}.lora_up.weight`, dtype: 'F32', shape: [1280, 2], data: new Uint8Array(2 * 1280 * 4) },
    ]);
    const inkHash = ((await hashModelFile(path.join(full, 'styles', 'ink.safetensors'), { addnet: true })).addnet ?? '').slice(0, 12);
    const redis = await TestRedis.start();
    const worker = (name: string, loras: string): Promise<WorkerProcess> =>
      WorkerProcess.start(redis.url, path.join(dir, name, 'config'), ['--models', models, '--checkpoints', path.join(dir, name, 'checkpoints'), '--loras', loras]);
    const [holder, other] = await Promise.all([worker('holder', full), worker('other', part)]);
    const front = await startTestBridge({ queue: redis.url });
    const single = await startTestBridge({ modelsDir: models, lorasDir: full, checkpointsDir: path.join(dir, 'single', 'checkpoints') });
    return { dir, redis, front, single, holder, other, inkHash };
  })();
  return setup;
}

after(async () => {
  const s = await setup?.catch(() => undefined);
  if (s === undefined) return;
  await s.front.stop();
  await s.single.stop();
  await Promise.all([s.holder, s.other].map((w) => w.stop('SIGKILL')));
  await s.redis.stop();
  await rm(s.dir, { recursive: true, force: true });
});

const BASE = { mode: 'txt2img', model: 'tiny', negative: 'blurry', steps: 2, guidance: 7, scheduler: 'euler', seed: 5, width: 64, height: 64, resultFormat: 'raw-rgba' } as const;

function job(extra: Partial<ClusterJob['fields']> & { prompt: string }): ClusterJob {
  return { fields: { ...BASE, ...extra } as ClusterJob['fields'] };
}

async function connect(t: TestContext, bridge: TestBridge, name: string): Promise<BridgeClient> {
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token, name);
  t.after(() => c.close());
  return c;
}

test("a front lists the union of its workers' LoRAs, in the welcome, /v1/models and A1111's /sdapi/v1/loras", { skip }, async (t) => {
  const s = await cluster(t);
  if (s === undefined) return;
  const c = await connect(t, s.front, 'lister');
  const welcome = c.messages.find((m) => m.type === 'welcome');
  assert.ok(welcome?.type === 'welcome');
  assert.deepEqual(welcome.capabilities.loras, [{ name: 'bold' }, { name: 'ink' }, { name: 'xl-detail', family: 'sdxl' }]);
  const headers = { authorization: `Bearer ${s.front.token ?? ''}` };
  const http = (await (await fetch(`${s.front.url}/v1/models`, { headers })).json()) as { loras?: unknown };
  assert.deepEqual(http.loras, welcome.capabilities.loras, '/v1/models lists them too');
  const a1111 = (await (await fetch(`${s.front.url}/sdapi/v1/loras`, { headers })).json()) as Array<{ name: string }>;
  assert.deepEqual(a1111.map((l) => l.name), ['bold', 'ink', 'xl-detail']);
});

test('a generate with LoRAs through a front runs on the worker holding them and matches a single-process bridge byte for byte', { skip }, async (t) => {
  const s = await cluster(t);
  if (s === undefined) return;
  const [remote, local] = await Promise.all([connect(t, s.front, 'lora-remote'), connect(t, s.single, 'lora-local')]);
  const runs: Array<[string, Partial<ClusterJob['fields']> & { prompt: string }]> = [
    ['tag', { prompt: 'a lighthouse <lora:ink:0.5>, stormy sea' }],
    ['list', { prompt: 'a lighthouse, stormy sea', loras: [{ name: 'ink', weight: 0.8 }] }],
    ['tag in the negative', { prompt: 'a lighthouse', negative: 'blurry <lora:ink:0.7>' }],
  ];
  for (const [what, fields] of runs) {
    const [r, l] = await Promise.all([runOn(remote, job(fields)), runOn(local, job(fields))]);
    assertSameResults(r, l, what);
    const result = r.messages.find((m) => m.type === 'result');
    assert.ok(result?.type === 'result');
    assert.ok(result.parameters.includes(`Lora hashes: "ink: ${s.inkHash}"`), `${what}: ${result.parameters}`);
  }
  const plain = await runOn(remote, job({ prompt: 'a lighthouse, stormy sea' }));
  const tagged = await runOn(local, job({ prompt: 'a lighthouse <lora:ink:0.5>, stormy sea' }));
  assert.ok(!Buffer.from(plain.results[0]?.payload ?? []).equals(Buffer.from(tagged.results[0]?.payload ?? [])), 'the LoRA changes the image (else the comparison proves nothing)');
  // Only `other` has "bold": that job must run there.
  const before = Number((await s.other.health())['jobsDone']);
  const bold = await runOn(remote, job({ prompt: 'a lighthouse <lora:bold:1>' }));
  assert.equal(bold.end.type, 'done', JSON.stringify(bold.end));
  assert.equal(Number((await s.other.health())['jobsDone']), before + 1, 'the job with "bold" ran on the worker that has it');
});

test('unknown LoRAs, a LoRA for another family and bad tags are refused by a front before queueing, naming the field', { skip }, async (t) => {
  const s = await cluster(t);
  if (s === undefined) return;
  const c = await connect(t, s.front, 'lora-errors');
  const cases: Array<[string, Partial<ClusterJob['fields']> & { prompt: string }, string, string, RegExp]> = [
    ['unknown in the list', { prompt: 'x', loras: [{ name: 'ink', weight: 1 }, { name: 'nope', weight: 1 }] }, 'model_not_found', 'loras.1.name', /no LoRA "nope"/],
    ['unknown tag', { prompt: 'x <lora:nope:1>' }, 'model_not_found', 'prompt', /no LoRA "nope"/],
    ['unknown negative tag', { prompt: 'x', negative: 'y <lora:nope:1>' }, 'model_not_found', 'negative', /no LoRA "nope"/],
    ['wrong family', { prompt: 'x', loras: [{ name: 'xl-detail', weight: 1 }] }, 'invalid_field', 'loras.0.name', /is for SDXL models; "tiny" is SD 1\.x/],
    ['bad tag', { prompt: 'x <lora:ink:much>' }, 'prompt_syntax', 'prompt', /multiplier "much"/],
  ];
  for (const [what, fields, code, field, message] of cases) {
    const trace = await runOn(c, job(fields), 30_000);
    const end: ServerMessage = trace.end;
    assert.ok(end.type === 'error' && end.code === code && end.field === field && message.test(end.message), `${what}: ${JSON.stringify(end)}`);
    assert.ok(!trace.messages.some((m) => m.type === 'queued'), `${what}: refused before it was queued`);
  }
  // Each worker has one of the two, none has both: typed, and refused before it was queued too.
  const both = await runOn(c, job({ prompt: 'x <lora:ink:1> <lora:bold:1>' }), 30_000);
  assert.ok(both.end.type === 'error' && both.end.code === 'model_not_found' && both.end.field === 'prompt' && /no single live worker/.test(both.end.message), JSON.stringify(both.end));
  assert.ok(!both.messages.some((m) => m.type === 'queued'), 'refused before it was queued');
});
