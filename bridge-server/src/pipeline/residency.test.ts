/**
 * Lean residency (LoadOptions.residency, the default): while the VAE decodes only the UNet and the
 * decoder are open; when the job ends (settle, which the server's model cache calls) the decoder
 * is evicted too and everything reopens. Images are byte-identical to keeping every session open.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspectModel, type ModelInfo } from '../models/index.js';
import type { OnnxModel } from '../runtime/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { img2img } from './img2img.js';
import { LoadedModel, type LoadOptions } from './loaded-model.js';
import { noiseImage } from './testing/edit-fixtures.js';
import { txt2img } from './txt2img.js';

let dir: string;
let info: ModelInfo;
const opened: LoadedModel[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-residency-'));
  await makeTestModel('tiny-random', join(dir, 'tiny'), { seed: 2 });
  info = await inspectModel(join(dir, 'tiny'));
});

after(async () => {
  await Promise.all(opened.map((m) => m.release()));
  await rm(dir, { recursive: true, force: true });
});

async function load(options: LoadOptions = {}): Promise<LoadedModel> {
  const model = await LoadedModel.load(info, { threads: 1, ...options });
  opened.push(model);
  return model;
}

interface Seen {
  textEncoder: boolean;
  vaeEncoder: boolean | undefined;
  unet: boolean;
}

/** Which sessions were open each time the model's decoder ran, and how often it was evicted. */
interface DecoderWatch {
  seen: Seen[];
  evictions: number;
}

async function watchDecoder(model: LoadedModel): Promise<DecoderWatch> {
  const watch: DecoderWatch = { seen: [], evictions: 0 };
  const session: OnnxModel = await model.vaeDecoder();
  const run = session.run.bind(session);
  session.run = async (feeds) => {
    const all = await model.openSessions();
    watch.seen.push({ textEncoder: all.get('text_encoder')?.resident ?? false, vaeEncoder: all.get('vae_encoder')?.resident, unet: all.get('unet')?.resident ?? false });
    return run(feeds);
  };
  const evict = session.evict.bind(session);
  session.evict = () => {
    watch.evictions += 1;
    return evict();
  };
  return watch;
}

const REQUEST = { prompt: 'a lighthouse', negative: 'fog', steps: 3, width: 64, height: 64, seed: 5, scheduler: 'euler' } as const;

test('txt2img: the text encoder is closed while the VAE decodes and open again after; bytes as with every session kept', async () => {
  const lean = await load();
  const kept = await load({ residency: 'resident' });
  const watch = await watchDecoder(lean);
  const keptWatch = await watchDecoder(kept);

  const a = await txt2img(lean, REQUEST);
  const b = await txt2img(kept, REQUEST);
  assert.deepEqual(a.images[0]?.image.data, b.images[0]?.image.data);
  assert.deepEqual(watch.seen, [{ textEncoder: false, vaeEncoder: undefined, unet: true }]);
  assert.deepEqual(keptWatch.seen, [{ textEncoder: true, vaeEncoder: undefined, unet: true }]);

  const sessions = await lean.openSessions();
  assert.equal(sessions.get('text_encoder')?.resident, false, 'closed until the job settles');
  assert.equal(sessions.get('vae_decoder')?.resident, true, 'the decoder stays open within the job');
  assert.equal(watch.evictions, 0);
  await lean.settle();
  assert.equal(watch.evictions, 1, 'settling evicted the decoder (its arena given back)');
  assert.equal(sessions.get('text_encoder')?.resident, true, 'the text encoder reopened once the job settled');
  assert.equal(sessions.get('vae_decoder')?.resident, true, 'the decoder reopened');
  await kept.settle();
  assert.equal(keptWatch.evictions, 0, 'a resident model keeps its decoder');

  const again = await txt2img(lean, REQUEST);
  assert.deepEqual(again.images[0]?.image.data, a.images[0]?.image.data, 'a second job on the reopened sessions');
  assert.equal(watch.seen.length, 2);
});

test('without settle (a one-shot run), evicted sessions reopen when next used, with the same bytes', async () => {
  const lean = await load();
  const first = await txt2img(lean, REQUEST);
  const sessions = await lean.openSessions();
  assert.equal(sessions.get('text_encoder')?.resident, false);
  const second = await txt2img(lean, { ...REQUEST, prompt: 'a harbour' });
  assert.equal(sessions.get('text_encoder')?.resident, false, 'used, then closed again by the second decode');
  assert.notDeepEqual(second.images[0]?.image.data, first.images[0]?.image.data, 'the new prompt was encoded');
  const kept = await load({ residency: 'resident' });
  const reference = await txt2img(kept, { ...REQUEST, prompt: 'a harbour' });
  assert.deepEqual(second.images[0]?.image.data, reference.images[0]?.image.data);
});

test('img2img: the VAE encoder is closed during the decode and reopened after', async () => {
  const lean = await load();
  const kept = await load({ residency: 'resident' });
  const image = noiseImage(64, 64, 3);
  const request = { ...REQUEST, image, strength: 0.6 };
  const watch = await watchDecoder(lean);
  const a = await img2img(lean, request);
  const b = await img2img(kept, request);
  assert.deepEqual(a.images[0]?.image.data, b.images[0]?.image.data);
  assert.deepEqual(watch.seen, [{ textEncoder: false, vaeEncoder: false, unet: true }]);
  await lean.settle();
  const sessions = await lean.openSessions();
  assert.equal(sessions.get('vae_encoder')?.resident, true);
  assert.equal(sessions.get('text_encoder')?.resident, true);
});

test('tiled decodes: the tiling variant is evicted and reopened when the job settles, with the same bytes', async () => {
  const tiling = { mode: 'always', tile: 4, pad: 2, blend: 1 } as const;
  const lean = await load({ vaeTiling: tiling });
  const kept = await load({ vaeTiling: tiling, residency: 'resident' });
  const a = await txt2img(lean, REQUEST);
  const b = await txt2img(kept, REQUEST);
  assert.deepEqual(a.images[0]?.image.data, b.images[0]?.image.data);
  await lean.settle();
  const sessions = await lean.openSessions();
  const variant = sessions.get('vae_decoder#gn-stats');
  assert.ok(variant !== undefined, 'the tiled decode used the statistics variant');
  assert.equal(variant.resident, true, 'reopened after the decode');
  assert.equal(sessions.get('text_encoder')?.resident, true);
  const again = await txt2img(lean, REQUEST);
  assert.deepEqual(again.images[0]?.image.data, a.images[0]?.image.data);
});

test('releasing a model while its sessions reopen in the background leaves nothing running', async () => {
  const lean = await LoadedModel.load(info, { threads: 1 });
  await txt2img(lean, REQUEST);
  const settling = lean.settle();
  await lean.release();
  await settling;
  const sessions = await lean.openSessions();
  assert.equal(sessions.size, 0);
});
