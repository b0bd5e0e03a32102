/**
 * POST /sdapi/v1/txt2img over real HTTP on loopback against a real bridge: A1111's own test bodies,
 * the response shapes, seeds and variations as A1111 makes them, samplers, hires fix, styles and
 * the refusals for what this bridge lacks.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TXT2IMG_FIELDS } from './request-models.js';
import { decodeResult, SIMPLE_TXT2IMG, startA1111Bridge, type A1111TestBridge } from './testing/a1111-client.js';

let t: A1111TestBridge;
before(async () => {
  t = await startA1111Bridge({ models: [{ name: 'tiny', kind: 'tiny-random' }] });
});
after(() => t.stop());

interface Info {
  seed: number;
  all_seeds: number[];
  subseed: number;
  all_subseeds: number[];
  infotexts: string[];
  width: number;
  height: number;
  sampler_name: string;
  cfg_scale: number;
  steps: number;
  prompt: string;
  negative_prompt: string;
  batch_size: number;
  job_timestamp: string;
  extra_generation_params: Record<string, unknown>;
}

async function txt2img(extra: Record<string, unknown>, base: Record<string, unknown> = SIMPLE_TXT2IMG) {
  const res = await t.post('/sdapi/v1/txt2img', { ...base, ...extra });
  assert.equal(res.status, 200, JSON.stringify(res.json).slice(0, 400));
  const images = res.json['images'] as string[];
  const info = JSON.parse(res.json['info'] as string) as Info;
  const decoded = await Promise.all(images.map(decodeResult));
  return { images, info, decoded, parameters: res.json['parameters'] as Record<string, unknown> };
}

test("A1111's test_txt2img bodies: each answers 200 with PNGs carrying their infotext", async () => {
  const cases: Array<[string, Record<string, unknown>, number, [number, number]]> = [
    ['simple', {}, 1, [64, 64]],
    ['negative prompt', { negative_prompt: 'example negative prompt' }, 1, [64, 64]],
    ['complex prompt', { prompt: '((emphasis)), (emphasis1:1.1), [to:1], [from::2], [from:to:0.3], [alt|alt1]' }, 1, [64, 64]],
    ['not square', { height: 128 }, 1, [64, 128]],
    ['hires fix', { enable_hr: true }, 1, [128, 128]],
    ['tiling', { tiling: true }, 1, [64, 64]],
    ['multiple batches', { n_iter: 2 }, 2, [64, 64]],
    ['batch', { batch_size: 2 }, 2, [64, 64]],
  ];
  for (const [label, extra, count, [w, h]] of cases) {
    const { info, decoded } = await txt2img(extra);
    assert.equal(decoded.length, count, label);
    for (const [i, d] of decoded.entries()) {
      assert.deepEqual([d.image.width, d.image.height], [w, h], label);
      assert.equal(d.parameters, info.infotexts[i], label);
    }
    assert.equal(info.infotexts.length, count, label);
  }
});

test('each vanilla sampler of A1111\'s test (and every sampler /samplers lists) runs', async () => {
  const listed = (await t.get('/sdapi/v1/samplers')).json as Array<{ name: string }>;
  for (const name of new Set(['PLMS', 'DDIM', 'UniPC', ...listed.map((s) => s.name)])) {
    const { info } = await txt2img({ sampler_index: name, seed: 5 });
    assert.equal(info.sampler_name, name);
    assert.match(info.infotexts[0] ?? '', new RegExp(`Sampler: ${name.replace(/[+]/g, '\\+')},`));
  }
  // A legacy name with its schedule ("DPM++ 2M Karras") is split as A1111 1.10 splits it.
  const { info } = await txt2img({ sampler_name: 'DPM++ 2M Karras', seed: 5, eta: null });
  assert.match(info.infotexts[0] ?? '', /Sampler: DPM\+\+ 2M, Schedule type: Karras,/);
});

test('info is A1111\'s Processed.js() as a Python JSON string; parameters echo every field with its default', async () => {
  const res = await t.post('/sdapi/v1/txt2img', { prompt: 'a red barn', seed: 1234, steps: 2, width: 64, height: 64, not_a_field: 1 });
  assert.equal(res.status, 200);
  const raw = res.json['info'] as string;
  assert.match(raw, /^\{"prompt": "a red barn", "all_prompts": \["a red barn"\], /);
  assert.match(raw, /"cfg_scale": 7\.0, /);
  const info = JSON.parse(raw) as Record<string, unknown>;
  for (const key of ['seed', 'all_seeds', 'subseed', 'all_subseeds', 'subseed_strength', 'width', 'height', 'sampler_name', 'cfg_scale', 'steps', 'batch_size', 'restore_faces', 'sd_model_name', 'sd_model_hash', 'seed_resize_from_w', 'seed_resize_from_h', 'denoising_strength', 'extra_generation_params', 'index_of_first_image', 'infotexts', 'styles', 'job_timestamp', 'clip_skip', 'is_using_inpainting_conditioning', 'version']) {
    assert.ok(key in info, key);
  }
  assert.deepEqual([info['seed'], info['sampler_name'], info['steps'], info['sd_model_name']], [1234, 'Euler', 2, 'tiny']);
  assert.match(String(info['job_timestamp']), /^\d{14}$/);
  const params = res.json['parameters'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(params), TXT2IMG_FIELDS.map((f) => f.name));
  assert.equal(params['prompt'], 'a red barn');
  assert.equal(params['sampler_index'], 'Euler');
  assert.equal(params['hr_scale'], 2);
  assert.equal(params['sampler_name'], null);
  assert.equal((info['infotexts'] as string[])[0], 'a red barn\nSteps: 2, Sampler: Euler, Schedule type: Automatic, CFG scale: 7.0, Seed: 1234, Size: 64x64, Model: tiny, RNG: CPU, Version: latent-bridge/0.1.0');
});

test('seeds: the same seed gives the same bytes; -1 draws one and reports it; batches count up as A1111', async () => {
  const a = await txt2img({ seed: 77, sampler_index: 'Euler', eta: null });
  const b = await txt2img({ seed: 77, sampler_index: 'Euler', eta: null });
  assert.deepEqual(a.images, b.images);
  const c = await txt2img({ seed: 78, sampler_index: 'Euler', eta: null });
  assert.notDeepEqual(Buffer.from(c.decoded[0]?.image.data ?? []), Buffer.from(a.decoded[0]?.image.data ?? []));
  const random = await txt2img({ seed: -1 });
  assert.ok(random.info.seed >= 0 && random.info.seed < 4294967294);
  assert.match(random.info.infotexts[0] ?? '', new RegExp(`Seed: ${random.info.seed},`));
  const batch = await txt2img({ seed: 100, subseed: 40, batch_size: 2, n_iter: 2 });
  assert.deepEqual(batch.info.all_seeds, [100, 101, 102, 103]);
  assert.deepEqual(batch.info.all_subseeds, [40, 41, 42, 43]);
  // Image i of a batch is image 0 of a run with its own seed (per-image generators).
  const third = await txt2img({ seed: 102, sampler_index: 'Euler a' });
  assert.deepEqual(Buffer.from(batch.decoded[2]?.image.data ?? []), Buffer.from(third.decoded[0]?.image.data ?? []));
});

test('variations: every image keeps the seed, subseeds count up, strength 1 is the subseed\'s noise', async () => {
  const v = await txt2img({ seed: 9, subseed: 30, subseed_strength: 0.4, batch_size: 2, sampler_index: 'Euler', eta: null });
  assert.deepEqual(v.info.all_seeds, [9, 9]);
  assert.deepEqual(v.info.all_subseeds, [30, 31]);
  assert.match(v.info.infotexts[1] ?? '', /Seed: 9, Size: 64x64, Model: tiny, Variation seed: 31, Variation seed strength: 0\.4,/);
  const full = await txt2img({ seed: 9, subseed: 30, subseed_strength: 1, sampler_index: 'Euler', eta: null });
  const plain = await txt2img({ seed: 30, sampler_index: 'Euler', eta: null });
  assert.deepEqual(Buffer.from(full.decoded[0]?.image.data ?? []), Buffer.from(plain.decoded[0]?.image.data ?? []));
  const resized = await txt2img({ seed: 9, seed_resize_from_w: 48, seed_resize_from_h: 80, sampler_index: 'Euler', eta: null });
  assert.match(resized.info.infotexts[0] ?? '', /Seed resize from: 48x80,/);
});

test('/sdapi and /v1/jobs give the same pixels for the same seed and settings', async () => {
  const viaA1111 = await txt2img({ prompt: 'a lighthouse', negative_prompt: 'fog', seed: 4242, steps: 3, cfg_scale: 6, sampler_name: 'Euler a', eta: null });
  const res = await fetch(`${t.bridge.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.bridge.token ?? ''}` },
    body: JSON.stringify({ mode: 'txt2img', model: 'tiny', prompt: 'a lighthouse', negative: 'fog', seed: 4242, steps: 3, guidance: 6, scheduler: 'euler_a', width: 64, height: 64 }),
  });
  assert.equal(res.status, 200);
  const { image } = await decodeResult(Buffer.from(await res.arrayBuffer()).toString('base64'));
  assert.deepEqual(Buffer.from(image.data), Buffer.from(viaA1111.decoded[0]?.image.data ?? []));
});

test('hires fix: the second pass runs at the target size with its own steps, upscaler and prompt', async () => {
  const latent = await txt2img({ enable_hr: true, hr_scale: 1.5, denoising_strength: 0.6, hr_second_pass_steps: 2, seed: 3, hr_prompt: 'a castle' });
  assert.deepEqual([latent.decoded[0]?.image.width, latent.decoded[0]?.image.height], [96, 96]);
  assert.match(latent.info.infotexts[0] ?? '', /Denoising strength: 0\.6, .*Hires prompt: a castle, Hires upscale: 1\.5, Hires steps: 2,/);
  const lanczos = await txt2img({ enable_hr: true, hr_upscaler: 'Lanczos', hr_resize_x: 128, hr_resize_y: 96, denoising_strength: 0.5, seed: 3 });
  assert.deepEqual([lanczos.decoded[0]?.image.width, lanczos.decoded[0]?.image.height], [128, 96]);
  assert.match(lanczos.info.infotexts[0] ?? '', /Hires resize: 128x96, Hires upscaler: Lanczos,/);
  for (const upscaler of ['Latent (nearest)', 'Latent (bicubic antialiased)', 'Nearest', 'None']) {
    const r = await txt2img({ enable_hr: true, hr_upscaler: upscaler, denoising_strength: 0.5, seed: 3 });
    assert.deepEqual([r.decoded[0]?.image.width, r.decoded[0]?.image.height], [128, 128], upscaler);
  }
  const bad = await t.post('/sdapi/v1/txt2img', { ...SIMPLE_TXT2IMG, enable_hr: true, hr_upscaler: 'R-ESRGAN 4x+' });
  assert.deepEqual([bad.status, bad.json['error'], bad.json['errors']], [500, 'Exception', 'could not find upscaler named R-ESRGAN 4x+']);
});

test('styles from styles.csv in the config dir are applied as A1111 applies them; an unknown style is refused', async () => {
  await writeFile(path.join(t.configDir, 'styles.csv'), 'name,prompt,negative_prompt\n"cinematic","{prompt}, film grain","blurry"\n"vivid","vivid colours",""\n');
  const { info } = await txt2img({ prompt: 'a fox', negative_prompt: 'text', styles: ['cinematic', 'vivid'], seed: 2 });
  assert.equal(info.prompt, 'a fox, film grain, vivid colours');
  assert.equal(info.negative_prompt, 'text, blurry');
  const listed = (await t.get('/sdapi/v1/prompt-styles')).json;
  assert.deepEqual(listed, [
    { name: 'cinematic', prompt: '{prompt}, film grain', negative_prompt: 'blurry' },
    { name: 'vivid', prompt: 'vivid colours', negative_prompt: '' },
  ]);
  const unknown = await t.post('/sdapi/v1/txt2img', { ...SIMPLE_TXT2IMG, styles: ['noir'] });
  assert.equal(unknown.status, 422);
  assert.match(String(unknown.json['detail']), /Style 'noir' not found/);
});

test('what the bridge lacks is refused, never skipped: samplers, face restoration, scripts, LoRAs, settings', async () => {
  const cases: Array<[Record<string, unknown>, number, RegExp]> = [
    [{ sampler_index: 'DPM adaptive' }, 400, /^Sampler not found$/],
    [{ sampler_name: 'nope' }, 400, /^Sampler not found$/],
    [{ restore_faces: true }, 422, /Face restoration is not available/],
    [{ script_name: 'x/y/z plot' }, 422, /^Script 'x\/y\/z plot' not found$/],
    [{ alwayson_scripts: { ControlNet: { args: [] } } }, 422, /^Script 'ControlNet' not found$/],
    [{ prompt: 'a cat <lora:catstyle:0.8>' }, 422, /LoRA 'catstyle' not found/],
    [{ override_settings: { CLIP_stop_at_last_layers: 2 } }, 422, /CLIP_stop_at_last_layers/],
    [{ override_settings: { randn_source: 'GPU' } }, 422, /randn_source/],
    [{ s_churn: 0.5, sampler_index: 'Euler', eta: null }, 422, /s_churn/],
  ];
  for (const [extra, status, detail] of cases) {
    const res = await t.post('/sdapi/v1/txt2img', { ...SIMPLE_TXT2IMG, ...extra });
    assert.equal(res.status, status, JSON.stringify(extra));
    assert.equal(res.json['error'], 'HTTPException');
    assert.match(String(res.json['detail']), detail, JSON.stringify(extra));
    assert.equal(res.json['errors'], `${status}: ${String(res.json['detail'])}`);
  }
  // A1111's built-in UI-only scripts are accepted as its API accepts them.
  await txt2img({ alwayson_scripts: { Sampler: { args: [20, 'Euler a', 'Automatic'] }, Seed: { args: [-1, false, -1, 0, 0, 0] }, Refiner: { args: [false] } } });
  // With disable_extra_networks the tag is removed, as A1111 removes it.
  const stripped = await txt2img({ prompt: 'a cat <lora:catstyle:0.8>', disable_extra_networks: true });
  assert.equal(stripped.decoded.length, 1);
});

test('pydantic validation: every bad field at once, FastAPI\'s 422 shape', async () => {
  const res = await t.post('/sdapi/v1/txt2img', { ...SIMPLE_TXT2IMG, steps: 'many', cfg_scale: 'high', tiling: 'maybe', styles: 'one' });
  assert.equal(res.status, 422);
  assert.deepEqual(res.json, {
    detail: [
      { loc: ['body', 'styles'], msg: 'value is not a valid list', type: 'type_error.list' },
      { loc: ['body', 'steps'], msg: 'value is not a valid integer', type: 'type_error.integer' },
      { loc: ['body', 'cfg_scale'], msg: 'value is not a valid float', type: 'type_error.float' },
      { loc: ['body', 'tiling'], msg: 'value could not be parsed to a boolean', type: 'type_error.bool' },
    ],
  });
  // pydantic v1 coercion: numeric strings and 0/1 booleans are taken.
  const { info } = await txt2img({ steps: '2', width: '64', tiling: 0, seed: '11' });
  assert.deepEqual([info.steps, info.seed], [2, 11]);
});

test('a client library\'s full body (webuiapi\'s txt2img defaults, nulls and its extra fields) is taken as A1111 takes it', async () => {
  const webuiapi = {
    enable_hr: false, denoising_strength: 0.7, firstphase_width: 0, firstphase_height: 0, hr_scale: 2, hr_upscaler: 'Latent', hr_second_pass_steps: 0,
    hr_resize_x: 0, hr_resize_y: 0, prompt: 'a meadow', styles: [], seed: 12, subseed: -1, subseed_strength: 0.0, seed_resize_from_h: 0,
    seed_resize_from_w: 0, sampler_name: null, batch_size: 1, n_iter: 1, steps: 3, cfg_scale: 7.0, width: 64, height: 64, restore_faces: false,
    tiling: false, do_not_save_samples: false, do_not_save_grid: false, negative_prompt: '', eta: 1.0, s_churn: 0, s_tmax: 0, s_tmin: 0, s_noise: 1,
    override_settings: {}, override_settings_restore_afterwards: true, script_args: [], script_name: null, send_images: true, save_images: false,
    alwayson_scripts: {}, sampler_index: null, use_deprecated_controlnet: false, controlnet_units: [],
  };
  const { info, decoded } = await txt2img(webuiapi, {});
  // Both sampler fields null: A1111 1.10 runs its first sampler, DPM++ 2M (Karras by default).
  assert.equal(info.sampler_name, 'DPM++ 2M');
  assert.match(info.infotexts[0] ?? '', /Sampler: DPM\+\+ 2M, Schedule type: Karras,/);
  assert.equal(decoded.length, 1);
  const quiet = await t.post('/sdapi/v1/txt2img', { ...webuiapi, send_images: false });
  assert.deepEqual(quiet.json['images'], []);
});
