/**
 * LoRAs over the protocol, on a real bridge and socket with the small SD 1.x checkpoint and a LoCon
 * made by torch: the LoRA folder listed in the welcome with each file's family, `<lora:NAME:w>`
 * tags and generate.loras giving the same image (tags stripped from CLIP's text, kept in the
 * parameters with A1111's `Lora hashes`), a LoRA changing the image, and unknown names, a LoRA for
 * another family and bad tags refused by field before the job is queued.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ServerMessage } from '@latent-bridge/shared';
import { hashModelFile, writeSafetensors } from '../checkpoint/index.js';
import { importModel } from '../convert/import-model.js';
import { loraFixture } from '../lora/testing/lora-fixtures.js';
import { ModelStore } from '../models/model-store.js';
import { startBridgeServer, type RunningBridge } from './bridge-server.js';
import { Client, terminal } from './testing/frame-client.js';

const work = await mkdtemp(join(tmpdir(), 'lb-lora-server-'));
let bridge: RunningBridge | undefined;
after(async () => {
  await bridge?.close();
  await rm(work, { recursive: true, force: true });
});


test('LoRAs listed, applied by tag and by list alike, recorded in the parameters; bad requests refused by field', async (t) => {
  const fixture = await loraFixture(t, 'sd1');
  if (fixture === undefined) return;
  t.after(() => fixture.reference.close());
  const models = join(work, 'models');
  await importModel({ source: join(fixture.base.dir, 'model.safetensors'), store: new ModelStore(models), name: 'tiny' });
  const loras = join(work, 'loras');
  await mkdir(join(loras, 'styles'), { recursive: true });
  await copyFile(join(fixture.dir, 'a.safetensors'), join(loras, 'styles', 'ink.safetensors'));
  await copyFile(join(fixture.dir, 'c.safetensors'), join(loras, 'stray.safetensors'));
  // A LoRA whose second text encoder marks it SDXL.
  const xl = 'lora_te2_text_model_encoder_layers_0_self_attn_q_proj';
  await writeSafetensors(join(loras, 'xl-detail.safetensors'), [
    { key: `${xl}.lora_down.weight`, dtype: 'F32', shape: [2, 1280], data: new Uint8Array(2 * 1280 * 4) },
    { key: `${xl}.lora_up.weight`, dtype: 'F32', shape: [1280, 2], data: new Uint8Array(2 * 1280 * 4) },
  ]);
  await writeSafetensors(join(loras, 'not-a-lora.safetensors'), [{ key: 'x', dtype: 'F32', shape: [1], data: new Uint8Array(4) }]);
  bridge = await startBridgeServer({ port: 0, token: null, configDir: join(work, 'config'), modelsDir: models, lorasDir: loras, demo: false, threads: 1 });

  const c = await Client.connect(bridge.wsUrl);
  const welcome = c.messages.find((m) => m.type === 'welcome');
  assert.ok(welcome?.type === 'welcome');
  assert.deepEqual(welcome.capabilities.loras, [{ name: 'ink' }, { name: 'stray' }, { name: 'xl-detail', family: 'sdxl' }], 'LoRAs in subfolders listed by stem; files that are no LoRA left out');
  const http = (await (await fetch(`${bridge.url}/v1/models`)).json()) as { loras?: unknown };
  assert.deepEqual(http.loras, welcome.capabilities.loras, '/v1/models lists them too');

  const base = { type: 'generate', mode: 'txt2img', model: 'tiny', steps: 2, guidance: 7, scheduler: 'euler', seed: 5, width: 64, height: 64, resultFormat: 'raw-rgba' };
  const run = async (id: string, extra: Record<string, unknown>): Promise<ServerMessage> => {
    c.send({ ...base, id, ...extra });
    return c.next(terminal(id));
  };

  const plain = await run('plain', { prompt: 'a lighthouse, stormy sea' });
  assert.equal(plain.type, 'done', JSON.stringify(plain));
  const tagged = await run('tagged', { prompt: 'a lighthouse <lora:ink:0.5>, stormy sea', negative: 'blurry' });
  assert.equal(tagged.type, 'done', JSON.stringify(tagged));
  const listed = await run('listed', { prompt: 'a lighthouse , stormy sea', negative: 'blurry', loras: [{ name: 'ink', weight: 0.5 }] });
  assert.equal(listed.type, 'done', JSON.stringify(listed));
  assert.ok(tagged.type === 'done' && typeof tagged.timings['loraMs'] === 'number', 'the merge is timed');

  const stray = await run('stray', { prompt: 'a lighthouse', loras: [{ name: 'stray', weight: 1 }] });
  assert.ok(stray.type === 'done' && (stray.warnings ?? []).some((w) => w.includes('lora_unet_not_a_module_0')), `the module that changed nothing is named: ${JSON.stringify(stray)}`);

  const image = (id: string) => c.results.get(id)?.[0] ?? new Uint8Array();
  assert.ok(image('plain').length === 64 * 64 * 4);
  assert.deepEqual(image('tagged'), image('listed'), 'a tag and a list entry apply the same LoRA; the tag leaves the CLIP text');
  assert.notDeepEqual(image('tagged'), image('plain'), 'the LoRA changes the image');

  const result = c.messages.find((m) => m.type === 'result' && m.id === 'tagged');
  assert.ok(result?.type === 'result');
  const addnet = (await hashModelFile(join(loras, 'styles', 'ink.safetensors'), { addnet: true })).addnet ?? '';
  assert.match(result.parameters, /^a lighthouse <lora:ink:0\.5>, stormy sea\n/, 'A1111 keeps the tag in the recorded prompt');
  assert.ok(result.parameters.includes(`Lora hashes: "ink: ${addnet.slice(0, 12)}"`), result.parameters);

  // Refused before queueing, naming the field.
  const refusals: Array<[string, Record<string, unknown>, string, string, RegExp]> = [
    ['unknown-list', { prompt: 'x', loras: [{ name: 'nope', weight: 1 }] }, 'model_not_found', 'loras.0.name', /no LoRA "nope"/],
    ['unknown-tag', { prompt: 'x <lora:nope:1>' }, 'model_not_found', 'prompt', /no LoRA "nope"/],
    ['wrong-family', { prompt: 'x', loras: [{ name: 'xl-detail', weight: 1 }] }, 'invalid_field', 'loras.0.name', /is for SDXL models; "tiny" is SD 1\.x/],
    ['bad-tag', { prompt: 'x <lora:ink:lots>' }, 'prompt_syntax', 'prompt', /multiplier "lots"/],
    ['neg-tag', { prompt: 'x', negative: '<lora:xl-detail:1>' }, 'invalid_field', 'negative', /is for SDXL/],
  ];
  for (const [id, extra, code, field, message] of refusals) {
    const end = await run(id, extra);
    assert.ok(end.type === 'error', `${id}: ${JSON.stringify(end)}`);
    assert.equal(end.code, code, id);
    assert.equal(end.field, field, id);
    assert.match(end.message, message, id);
    assert.ok(!c.messages.some((m) => m.type === 'queued' && m.id === id), `${id} never queued`);
  }

  // The A1111-compatible API: the same folder listed, tags applied (and stripped) in txt2img.
  const a1111 = async (path: string, body?: unknown): Promise<unknown> => {
    const r = await fetch(`${bridge?.url ?? ''}/sdapi/v1/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 200, `${path}: ${r.status} ${await r.clone().text()}`);
    return r.json();
  };
  const a1111Loras = (await a1111('loras')) as Array<{ name: string; alias: string; path: string }>;
  assert.deepEqual(a1111Loras.map((l) => [l.name, l.alias]), [['ink', 'ink'], ['stray', 'stray'], ['xl-detail', 'xl-detail']]);
  const body = { prompt: 'a lighthouse', steps: 2, width: 64, height: 64, seed: 5, sampler_name: 'Euler' };
  const png = async (prompt: string) => ((await a1111('txt2img', { ...body, prompt })) as { images: string[] }).images[0] ?? '';
  const plainA = await png('a lighthouse');
  const taggedA = await png('a lighthouse <lora:ink:0.5>');
  assert.notEqual(taggedA, plainA, 'the tag applies the LoRA');
  assert.equal(await png('a lighthouse <lora:ink:0.5>'), taggedA, 'the same set again gives the same image');
  const info = ((await a1111('png-info', { image: taggedA })) as { info: string }).info;
  assert.ok(info.includes(`Lora hashes: "ink: ${addnet.slice(0, 12)}"`), info);
  c.ws.close();
});
