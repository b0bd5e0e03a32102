/**
 * POST /sdapi/v1/img2img, the SD upscale script, extras and png-info over real HTTP: sizes,
 * counts, PNG text, and for masked inpainting that pixels outside the (blurred) mask are the
 * source's, with and without invert, whole picture and "only masked".
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodePng, type RgbaImage } from '../image/index.js';
import { IMG2IMG_FIELDS } from './request-models.js';
import { decodeResult, simpleImg2img, startA1111Bridge, type A1111TestBridge } from './testing/a1111-client.js';

let t: A1111TestBridge;
before(async () => {
  // 'tiny' encodes as diffusers' ONNX script exports do (a sample drawn inside the graph, so not
  // reproducible); 'tinyp' returns the distribution, which the bridge samples from the seed.
  t = await startA1111Bridge({
    models: [
      { name: 'tiny', kind: 'tiny-random' },
      { name: 'tinyp', kind: 'tiny-random', options: { vaeEncoderOutput: 'latent_parameters' } },
    ],
  });
});
after(() => t.stop());

/** A source with structure (a gradient and a square), so "unchanged" means something. */
function source(w: number, h: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const inSquare = x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2;
      data.set([(x * 255) / w, (y * 255) / h, inSquare ? 255 : 40, 255], i);
    }
  }
  return { width: w, height: h, data };
}

/** White where x0 ≤ x < x1 and y0 ≤ y < y1, black elsewhere (an opaque mask image). */
function maskImage(w: number, h: number, [x0, y0, x1, y1]: [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(x >= x0 && x < x1 && y >= y0 && y < y1 ? [255, 255, 255, 255] : [0, 0, 0, 255], (y * w + x) * 4);
  return { width: w, height: h, data };
}

async function dataUrl(img: RgbaImage): Promise<string> {
  return `data:image/png;base64,${Buffer.from(await encodePng(img)).toString('base64')}`;
}

async function img2img(body: Record<string, unknown>) {
  const res = await t.post('/sdapi/v1/img2img', body);
  assert.equal(res.status, 200, JSON.stringify(res.json).slice(0, 400));
  const info = JSON.parse(res.json['info'] as string) as { infotexts: string[]; all_seeds: number[] };
  return { json: res.json, info, decoded: await Promise.all((res.json['images'] as string[]).map(decodeResult)) };
}

/** Pixels at which `mask` (255 = repaint) is 0 within `margin` pixels, compared with `src`. */
function changedOutside(out: RgbaImage, src: RgbaImage, repaint: [number, number, number, number], margin: number, inside: boolean): number {
  let changed = 0;
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const near = x >= repaint[0] - margin && x < repaint[2] + margin && y >= repaint[1] - margin && y < repaint[3] + margin;
      const inMask = x >= repaint[0] + margin && x < repaint[2] - margin && y >= repaint[1] + margin && y < repaint[3] - margin;
      if (inside ? !inMask : near) continue;
      const i = (y * out.width + x) * 4;
      if (out.data[i] !== src.data[i] || out.data[i + 1] !== src.data[i + 1] || out.data[i + 2] !== src.data[i + 2]) changed++;
    }
  }
  return changed;
}

test("A1111's test_img2img bodies: simple, masked, inverted, SD upscale", async () => {
  const init = await dataUrl(source(64, 64));
  const mask = await dataUrl(maskImage(64, 64, [16, 16, 48, 48]));
  const base = simpleImg2img(init);
  const simple = await img2img(base);
  assert.deepEqual([simple.decoded.length, simple.decoded[0]?.image.width, simple.decoded[0]?.image.height], [1, 64, 64]);
  assert.equal(simple.decoded[0]?.parameters, simple.info.infotexts[0]);
  assert.match(simple.info.infotexts[0] ?? '', /Denoising strength: 0\.75,/);
  const params = simple.json['parameters'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(params), IMG2IMG_FIELDS.map((f) => f.name));
  assert.deepEqual([params['init_images'], params['mask']], [null, null]);
  for (const extra of [{ mask }, { mask, inpainting_mask_invert: true }]) {
    const r = await img2img({ ...base, ...extra });
    assert.deepEqual([r.decoded[0]?.image.width, r.decoded[0]?.image.height], [64, 64]);
    assert.match(r.info.infotexts[0] ?? '', /Mask blur: 4, /);
  }
  const up = await img2img({ ...base, script_name: 'sd upscale', script_args: ['', 8, 'Lanczos', 2.0] });
  assert.deepEqual([up.decoded.length, up.decoded[0]?.image.width, up.decoded[0]?.image.height], [1, 128, 128]);
  assert.match(up.decoded[0]?.parameters ?? '', /SD upscale overlap: 8, SD upscale upscaler: Lanczos,/);
});

test('inpainting keeps every pixel the blurred mask does not reach: whole picture and only masked, with and without invert', async () => {
  const src = source(96, 64);
  const repaint: [number, number, number, number] = [32, 16, 64, 48];
  const init = await dataUrl(src);
  const mask = await dataUrl(maskImage(96, 64, repaint));
  // Blur 4 reaches 2·int(2.5·4 + 0.5) / 2 = 10 pixels; the whole picture doubles the mask, so 11 is safe.
  const margin = 11;
  const base = { ...simpleImg2img(init), mask, width: 96, height: 64, seed: 5, denoising_strength: 0.9 };
  for (const [label, extra] of [
    ['whole picture', { inpaint_full_res: false }],
    ['only masked', { inpaint_full_res: true, inpaint_full_res_padding: 8, width: 64, height: 64 }],
  ] as const) {
    const r = await img2img({ ...base, ...extra });
    const out = r.decoded[0]?.image;
    assert.ok(out);
    assert.deepEqual([out.width, out.height], [96, 64], label);
    assert.equal(changedOutside(out, src, repaint, margin, false), 0, `${label}: pixels outside the mask changed`);
    assert.ok(changedOutside(out, src, repaint, margin, true) > 0, `${label}: nothing inside the mask was repainted`);
    const inverted = (await img2img({ ...base, ...extra, inpainting_mask_invert: 1 })).decoded[0]?.image;
    assert.ok(inverted);
    assert.equal(changedOutside(inverted, src, repaint, margin, true), 0, `${label} inverted: pixels inside the mask changed`);
  }
  const only = await img2img({ ...base, inpaint_full_res: true, inpaint_full_res_padding: 8, width: 64, height: 64 });
  assert.match(only.info.infotexts[0] ?? '', /Mask blur: 4, Inpaint area: Only masked, Masked area padding: 8, Masked content: fill,/);
  for (const [fill, text] of [[1, null], [2, 'latent noise'], [3, 'latent nothing']] as const) {
    const r = await img2img({ ...base, inpainting_fill: fill });
    assert.equal(changedOutside(r.decoded[0]?.image as RgbaImage, src, repaint, margin, false), 0, `fill ${fill}`);
    if (text !== null) assert.match(r.info.infotexts[0] ?? '', new RegExp(`Masked content: ${text},`));
  }
});

test('img2img sizes, resize modes, batches of init images and A1111\'s image errors', async () => {
  const init = await dataUrl(source(80, 48));
  for (const mode of [0, 1, 2]) {
    const r = await img2img({ ...simpleImg2img(init), resize_mode: mode, width: 64, height: 64 });
    assert.deepEqual([r.decoded[0]?.image.width, r.decoded[0]?.image.height], [64, 64], `resize_mode ${mode}`);
  }
  const same = { ...simpleImg2img(init), seed: 31, override_settings: { sd_model_checkpoint: 'tinyp' } };
  assert.deepEqual((await img2img(same)).json['images'], (await img2img(same)).json['images'], 'same seed, same bytes');
  const two = await img2img({ ...simpleImg2img(init), init_images: [init, init], batch_size: 2, seed: 8 });
  assert.deepEqual(two.info.all_seeds, [8, 9]);
  const missing = await t.post('/sdapi/v1/img2img', { prompt: 'x' });
  assert.deepEqual([missing.status, missing.json['detail']], [404, 'Init image not found']);
  const broken = await t.post('/sdapi/v1/img2img', { ...simpleImg2img('bm90IGFuIGltYWdl') });
  assert.deepEqual([broken.status, broken.json['detail']], [500, 'Invalid encoded image']);
  const remote = await t.post('/sdapi/v1/img2img', { ...simpleImg2img('https://example.com/a.png') });
  assert.deepEqual([remote.status, remote.json['detail']], [500, 'Requests not allowed']);
});

test('SD upscale: the script args as index or name, tiles put back to the upscaled size; a bad upscaler fails like A1111', async () => {
  const init = await dataUrl(source(96, 64));
  const base = { ...simpleImg2img(init), script_name: 'SD upscale', denoising_strength: 0.3, seed: 21, override_settings: { sd_model_checkpoint: 'tinyp' } };
  const byIndex = await img2img({ ...base, script_args: [null, 16, 1, 2] });
  const byName = await img2img({ ...base, script_args: ['', 16, 'lanczos', 2] });
  assert.deepEqual([byIndex.decoded[0]?.image.width, byIndex.decoded[0]?.image.height], [192, 128]);
  assert.deepEqual(Buffer.from(byIndex.decoded[0]?.image.data ?? []), Buffer.from(byName.decoded[0]?.image.data ?? []));
  const nearest = await img2img({ ...base, script_args: ['', 0, 'Nearest', 1] });
  assert.deepEqual([nearest.decoded[0]?.image.width, nearest.decoded[0]?.image.height], [96, 64]);
  const bad = await t.post('/sdapi/v1/img2img', { ...base, script_args: ['', 16, 'ESRGAN_4x', 2] });
  assert.deepEqual([bad.status, bad.json['error'], bad.json['errors']], [500, 'ValueError', "'esrgan_4x' is not in list"]);
  const outOfRange = await t.post('/sdapi/v1/img2img', { ...base, script_args: ['', 16, 7, 2] });
  assert.deepEqual([outOfRange.status, outOfRange.json['error']], [500, 'IndexError']);
});

test('extras: upscaling with the upscalers this bridge has; face restoration refused', async () => {
  const image = await dataUrl(source(40, 32));
  const payload = { resize_mode: 0, show_extras_results: true, gfpgan_visibility: 0, codeformer_visibility: 0, codeformer_weight: 0, upscaling_resize: 2, upscaling_resize_w: 128, upscaling_resize_h: 128, upscaling_crop: true, upscaler_1: 'Lanczos', upscaler_2: 'None', extras_upscaler_2_visibility: 0, image };
  const single = await t.post('/sdapi/v1/extra-single-image', payload);
  assert.equal(single.status, 200);
  const out = await decodeResult(single.json['image'] as string);
  assert.deepEqual([out.image.width, out.image.height], [80, 64]);
  assert.equal(single.json['html_info'], '<p>Postprocess upscale by: 2.0, Postprocess upscaler: Lanczos</p>');
  const toSize = await t.post('/sdapi/v1/extra-single-image', { ...payload, resize_mode: 1 });
  const sized = await decodeResult(toSize.json['image'] as string);
  assert.deepEqual([sized.image.width, sized.image.height], [128, 128]);
  const batch = await t.post('/sdapi/v1/extra-batch-images', { ...payload, image: undefined, imageList: [{ data: image, name: 'a.png' }, { data: image, name: 'b.png' }] });
  assert.equal((batch.json['images'] as string[]).length, 2);
  const faces = await t.post('/sdapi/v1/extra-single-image', { ...payload, codeformer_visibility: 0.5 });
  assert.equal(faces.status, 422);
});

test('png-info reads back what txt2img wrote: the infotext, its fields, other text chunks', async () => {
  const gen = await t.post('/sdapi/v1/txt2img', { prompt: 'a (red:1.2) barn', negative_prompt: 'fog, rain', steps: 2, seed: 99, width: 64, height: 64, cfg_scale: 5.5 });
  const image = (gen.json['images'] as string[])[0] ?? '';
  const res = await t.post('/sdapi/v1/png-info', { image: `data:image/png;base64,${image}` });
  assert.equal(res.status, 200);
  const info = JSON.parse(gen.json['info'] as string) as { infotexts: string[] };
  assert.equal(res.json['info'], info.infotexts[0]);
  assert.deepEqual(res.json['items'], {});
  const p = res.json['parameters'] as Record<string, unknown>;
  assert.deepEqual(
    [p['Prompt'], p['Negative prompt'], p['Steps'], p['Sampler'], p['CFG scale'], p['Seed'], p['Size-1'], p['Size-2'], p['Model'], p['RNG'], p['Emphasis'], p['Clip skip']],
    ['a (red:1.2) barn', 'fog, rain', '2', 'Euler', '5.5', '99', '64', '64', 'tiny', 'CPU', 'Original', '1'],
  );
  const plain = await t.post('/sdapi/v1/png-info', { image: Buffer.from(await encodePng(source(8, 8))).toString('base64') });
  assert.equal(plain.json['info'], '');
});

test("a Photoshop plug-in's img2img body (every field sent, sampler_index, cfg 20) is taken as A1111 takes it", async () => {
  const init = (await dataUrl(source(64, 64))).replace(/^data:image\/png;base64,/, '');
  const body = {
    init_images: [init], resize_mode: 0, denoising_strength: 0.75, mask_blur: 4, inpainting_fill: 0, inpaint_full_res: true, inpaint_full_res_padding: 0,
    inpainting_mask_invert: 0, prompt: 'a harbour', seed: -1, subseed: -1, subseed_strength: 0, seed_resize_from_h: -1, seed_resize_from_w: -1,
    batch_size: 1, n_iter: 1, steps: 3, cfg_scale: 20, width: 64, height: 64, restore_faces: false, tiling: false, negative_prompt: '', eta: 0,
    s_churn: 0, s_tmax: 0, s_tmin: 0, s_noise: 1, override_settings: {}, sampler_index: 'Euler', include_init_images: false,
  };
  const r = await img2img(body);
  assert.match(r.info.infotexts[0] ?? '', /Sampler: Euler, Schedule type: Automatic, CFG scale: 20\.0,/);
  assert.deepEqual([r.decoded[0]?.image.width, r.decoded[0]?.image.height], [64, 64]);
  const echo = await t.post('/sdapi/v1/img2img', { ...body, include_init_images: true });
  assert.deepEqual((echo.json['parameters'] as Record<string, unknown>)['init_images'], [init]);
});
