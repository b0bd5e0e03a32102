/**
 * <lora:…> tags through A1111's API: applied to the job (CLIP never sees the tag), kept in the
 * infotext's prompt as A1111's all_prompts keep them, with `Lora hashes`, through hires fix too.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { importModel } from '../convert/import-model.js';
import { loraFixture } from '../lora/testing/lora-fixtures.js';
import { ModelStore } from '../models/model-store.js';
import { decodeResult, startA1111Bridge, type A1111TestBridge } from './testing/a1111-client.js';

let bridge: A1111TestBridge | undefined;
let dir: string | undefined;
after(async () => {
  await bridge?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test('a <lora:…> tag changes the image, stays in the infotext prompt and adds Lora hashes', async (t) => {
  const fixture = await loraFixture(t, 'sd1');
  if (fixture === undefined) return;
  t.after(() => fixture.reference.close());
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-a1111-lora-'));
  await importModel({ source: path.join(fixture.base.dir, 'model.safetensors'), store: new ModelStore(path.join(dir, 'models')), name: 'tiny' });
  // The bridge's default LoRA folder lies beside its checkpoints folder, beside the model store.
  await mkdir(path.join(dir, 'loras'), { recursive: true });
  await copyFile(path.join(fixture.dir, 'a.safetensors'), path.join(dir, 'loras', 'ink.safetensors'));
  bridge = await startA1111Bridge({ dir });
  const b = bridge;

  const txt2img = async (prompt: string, extra: Record<string, unknown> = {}) => {
    const res = await b.post('/sdapi/v1/txt2img', { prompt, negative_prompt: 'blurry', steps: 2, width: 64, height: 64, seed: 9, sampler_name: 'Euler', override_settings: { sd_model_checkpoint: 'tiny' }, ...extra });
    assert.equal(res.status, 200, JSON.stringify(res.json).slice(0, 300));
    const info = JSON.parse(res.json['info'] as string) as { prompt: string; infotexts: string[] };
    return { info, image: (await decodeResult((res.json['images'] as string[])[0] ?? '')).image };
  };
  const plain = await txt2img('a lighthouse, stormy sea');
  const tagged = await txt2img('a lighthouse, stormy sea <lora:ink:0.8>');
  const again = await txt2img('a lighthouse, stormy sea <lora:ink:0.8>');
  assert.equal(tagged.info.prompt, 'a lighthouse, stormy sea <lora:ink:0.8>');
  const infotext = tagged.info.infotexts[0] ?? '';
  assert.match(infotext, /^a lighthouse, stormy sea <lora:ink:0\.8>\nNegative prompt: blurry\n/);
  assert.match(infotext, /Lora hashes: "ink: [0-9a-f]{12}"/);
  assert.doesNotMatch(plain.info.infotexts[0] ?? '', /Lora hashes/);
  assert.deepEqual(again.image.data, tagged.image.data, 'the same set gives the same image');
  let diff = 0;
  for (let i = 0; i < plain.image.data.length; i++) diff = Math.max(diff, Math.abs((plain.image.data[i] as number) - (tagged.image.data[i] as number)));
  assert.ok(diff > 3, `the LoRA changes the image (max difference ${diff})`);

  // Hires fix: the second pass conditions on the same CLIP text, and the infotext names no hires prompt.
  const hires = await txt2img('a lighthouse, stormy sea <lora:ink:0.8>', { enable_hr: true, hr_scale: 1.5, hr_upscaler: 'Latent', denoising_strength: 0.5, hr_second_pass_steps: 1 });
  assert.doesNotMatch(hires.info.infotexts[0] ?? '', /Hires prompt/);
  assert.deepEqual([hires.image.width, hires.image.height], [96, 96]);
});
