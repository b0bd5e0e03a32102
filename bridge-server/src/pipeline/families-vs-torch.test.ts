/**
 * SD 1.x, SD 2.x (v-prediction) and SDXL txt2img on imported checkpoints against diffusers' loop
 * reproduced in torch (convert/testing/torch/pipeline_reference.py) on the same weights: text
 * encoding per family, SDXL's pooled embeddings, add_time_ids and zeros for an empty negative,
 * Euler timesteps and sigmas, guidance, seeded noise and the VAE decode, compared in pixels.
 * img2img (posterior sampled, then noise, add_noise at the first kept step) and 4-channel inpaint
 * by masked blending go the same way; the inpaint reference takes the bridge's latent repaint grid
 * (wider than diffusers' resized mask by design) and checks everything else; inpainting UNets (9
 * channels, SD 1.x and SDXL) follow diffusers' inpaint pipelines on that same area. A few-step model (a
 * Turbo name: trailing spacing) at guidance 0 runs one UNet call per step on a batch of one.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openCheckpoint } from '../checkpoint/index.js';
import { repoRoot, runTorchScript } from '../checkpoint/testing/torch-python.js';
import { importModel } from '../convert/import-model.js';
import { checkpointFixture, type CheckpointCase } from '../convert/testing/checkpoint-fixtures.js';
import { ModelStore } from '../models/model-store.js';
import type { PredictionType } from '../models/families.js';
import type { Mask, RgbaImage } from '../image/index.js';
import { repaintMask } from './edit-mask.js';
import { LoadedModel } from './loaded-model.js';
import { generate } from './generate.js';

const work = await mkdtemp(join(tmpdir(), 'lb-families-'));
after(() => rm(work, { recursive: true, force: true }));

interface Case {
  label: string;
  c: CheckpointCase;
  prompt: string;
  negative: string;
  steps: number;
  guidance: number;
  width: number;
  height: number;
  seed: number;
  prediction?: PredictionType;
  /** File name the checkpoint is imported from (a Turbo name gets trailing spacing). */
  file?: string;
  spacing?: 'leading' | 'trailing';
  /** UNet calls and their batch the job must make. */
  unetCalls: number;
  unetBatch: number;
  /** img2img from a generated source at this strength. */
  strength?: number;
  /** Inpaint (4-channel UNet, strength 1) the square [x0, x1) × [y0, y1) of the source. */
  repaint?: [number, number, number, number];
  /** With the checkpoint's inpainting UNet (9 input channels) instead of masked blending. */
  nine?: boolean;
}

function repaintMaskOf(width: number, height: number, [x0, x1, y0, y1]: [number, number, number, number]): Mask {
  const data = new Uint8Array(width * height);
  for (let y = y0; y < y1; y++) data.fill(255, y * width + x0, y * width + x1);
  return { width, height, data };
}

/** A source with structure in every channel, so the encoder's output matters. */
function sourceImage(width: number, height: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = Math.round((255 * x) / (width - 1));
      data[i + 1] = Math.round((255 * y) / (height - 1));
      data[i + 2] = (x * 7 + y * 13) % 256;
      data[i + 3] = 255;
    }
  }
  return { width, height, data };
}

const CASES: Case[] = [
  { label: 'SD 1.x, guidance 7.5', c: 'sd1', prompt: 'a red house', negative: '', steps: 4, guidance: 7.5, width: 64, height: 64, seed: 42, unetCalls: 4, unetBatch: 2 },
  { label: 'SD 1.x, non-square with a negative prompt', c: 'sd1', prompt: 'a red house', negative: 'blurry', steps: 3, guidance: 5, width: 96, height: 64, seed: 7, unetCalls: 3, unetBatch: 2 },
  { label: 'SD 2.x v-prediction', c: 'sd2', prompt: 'a blue car', negative: 'ugly', steps: 3, guidance: 6, width: 64, height: 96, seed: 5, prediction: 'v_prediction', unetCalls: 3, unetBatch: 2 },
  { label: 'SDXL, empty negative (zeros)', c: 'sdxl', prompt: 'a red house', negative: '', steps: 3, guidance: 5, width: 64, height: 64, seed: 11, unetCalls: 3, unetBatch: 2 },
  { label: 'SDXL, non-square with a negative prompt', c: 'sdxl', prompt: 'a red house', negative: 'blurry', steps: 2, guidance: 4, width: 96, height: 64, seed: 12, unetCalls: 2, unetBatch: 2 },
  { label: 'SDXL img2img, strength 0.6', c: 'sdxl', prompt: 'a red house', negative: 'blurry', steps: 5, guidance: 5, width: 64, height: 64, seed: 21, strength: 0.6, unetCalls: 3, unetBatch: 2 },
  { label: 'SD 1.x img2img, strength 0.5, non-square', c: 'sd1', prompt: 'a red house', negative: '', steps: 4, guidance: 7.5, width: 96, height: 64, seed: 22, strength: 0.5, unetCalls: 2, unetBatch: 2 },
  { label: 'SDXL inpaint by masked blending (4-channel UNet)', c: 'sdxl', prompt: 'a red house', negative: 'blurry', steps: 3, guidance: 5, width: 64, height: 64, seed: 23, repaint: [16, 48, 16, 40], unetCalls: 3, unetBatch: 2 },
  { label: 'SD 1.x inpainting UNet (9 channels)', c: 'sd1', prompt: 'a red house', negative: 'blurry', steps: 3, guidance: 5, width: 64, height: 64, seed: 24, repaint: [8, 40, 16, 56], nine: true, unetCalls: 3, unetBatch: 2 },
  { label: 'SDXL inpainting UNet (9 channels)', c: 'sdxl', prompt: 'a red house', negative: 'blurry', steps: 3, guidance: 5, width: 64, height: 64, seed: 24, repaint: [8, 40, 16, 56], nine: true, unetCalls: 3, unetBatch: 2 },
  {
    label: 'SDXL Turbo-named model, 1 step at guidance 0: one UNet call',
    c: 'sdxl',
    prompt: 'a red house',
    negative: '',
    steps: 1,
    guidance: 0,
    width: 64,
    height: 64,
    seed: 3,
    file: 'tiny-sdxl-turbo.safetensors',
    spacing: 'trailing',
    unetCalls: 1,
    unetBatch: 1,
  },
];

describe('txt2img per family against diffusers in torch', () => {
  for (const k of CASES) {
    test(k.label, async (t) => {
      const fixture = await checkpointFixture(t, k.c, 'fp32', k.nine === true);
      if (fixture === undefined) return;
      t.after(() => fixture.reference.close());
      const dir = await mkdtemp(join(work, `${k.c}-`));
      const source = join(dir, k.file ?? 'model.safetensors');
      await copyFile(join(fixture.dir, 'model.safetensors'), source);
      const store = new ModelStore(join(dir, 'store'));
      const imported = await importModel({ source, store, name: 'm', ...(k.prediction !== undefined ? { prediction: k.prediction } : {}) });
      const { inspectModel } = await import('../models/inspect-model.js');
      const info = await inspectModel(imported.dir);
      assert.equal(info.schedulerConfig['timestep_spacing'], k.spacing ?? 'leading');
      assert.equal(info.prediction, k.prediction ?? 'epsilon');

      const model = await LoadedModel.load(info, { threads: 1 });
      const calls: number[] = [];
      const unet = await model.unet();
      const run = unet.run.bind(unet);
      unet.run = (feeds) => {
        const sample = feeds['sample'];
        calls.push(typeof sample === 'object' ? (sample.dims[0] ?? -1) : -1);
        return run(feeds);
      };
      let ours;
      try {
        const common = { prompt: k.prompt, negative: k.negative, steps: k.steps, guidance: k.guidance, scheduler: 'euler', seed: k.seed, width: k.width, height: k.height };
        const image = sourceImage(k.width, k.height);
        ours =
          k.repaint !== undefined
            ? await generate(model, { mode: 'inpaint', ...common, image, mask: repaintMaskOf(k.width, k.height, k.repaint), strength: 1, grow: 0, feather: 0, padding: 256 })
            : k.strength === undefined
              ? await generate(model, { mode: 'txt2img', ...common })
              : await generate(model, { mode: 'img2img', ...common, image, strength: k.strength });
      } finally {
        await model.release();
      }
      assert.deepEqual(calls, Array.from({ length: k.unetCalls }, () => k.unetBatch), 'UNet calls and their batch');

      const out = join(dir, 'reference.safetensors');
      const script = join(repoRoot(), 'bridge-server/src/convert/testing/torch/pipeline_reference.py');
      const args = [fixture.dir, '--case', k.c, '--vocab', join(repoRoot(), 'bridge-server/assets/clip-tokenizer/vocab.json'), '--prompt', k.prompt, '--negative', k.negative];
      args.push('--seed', String(k.seed), '--steps', String(k.steps), '--guidance', String(k.guidance), '--width', String(k.width), '--height', String(k.height));
      args.push('--spacing', k.spacing ?? 'leading', '--prediction', k.prediction ?? 'epsilon', '--out', out);
      if (k.strength !== undefined || k.repaint !== undefined) {
        const raw = join(dir, 'source.rgba');
        await writeFile(raw, sourceImage(k.width, k.height).data);
        args.push('--init', raw, '--strength', String(k.strength ?? 1));
      }
      if (k.repaint !== undefined) {
        const raw = join(dir, 'mask.raw');
        const user = repaintMaskOf(k.width, k.height, k.repaint);
        // A 9-channel UNet is conditioned on the bridge's repaint area (the selection's latent cells
        // and their seam ring: the same deliberate widening as below), masked image and mask alike.
        await writeFile(raw, k.nine === true ? repaintMask(user, { width: k.width, height: k.height }).data : user.data);
        args.push('--mask', raw);
      }
      if (k.nine === true) args.push('--nine');
      else if (k.repaint !== undefined) {
        // The bridge's latent repaint cells (its seam rule widens diffusers' resized mask).
        const cells = repaintMask(repaintMaskOf(k.width, k.height, k.repaint), { width: k.width, height: k.height });
        const grid = new Uint8Array((k.width / 8) * (k.height / 8));
        for (let y = 0; y < k.height / 8; y++) for (let x = 0; x < k.width / 8; x++) grid[y * (k.width / 8) + x] = cells.data[y * 8 * k.width + x * 8] ?? 0;
        const latentRaw = join(dir, 'latent-mask.raw');
        await writeFile(latentRaw, grid);
        args.push('--latent-mask', latentRaw);
      }
      await runTorchScript(`import runpy, sys\nsys.argv = [${JSON.stringify(script)}, *sys.argv[1:]]\nrunpy.run_path(${JSON.stringify(script)}, run_name='__main__')\n`, args);
      const ref = await openCheckpoint(out);
      try {
        const image = await ref.readFloat32('image');
        const got = ours.images[0]?.image;
        assert.ok(got !== undefined);
        assert.deepEqual([got.width, got.height], [k.width, k.height]);
        const plane = k.width * k.height;
        let worst = 0;
        let spread = 0;
        const inside = k.repaint === undefined ? undefined : repaintMaskOf(k.width, k.height, k.repaint).data;
        const source = sourceImage(k.width, k.height).data;
        for (let i = 0; i < plane; i++) {
          if (inside !== undefined && inside[i] === 0) {
            // Outside the repaint area the user's pixels stay as they were.
            for (let ch = 0; ch < 4; ch++) assert.equal(got.data[i * 4 + ch], source[i * 4 + ch], `kept pixel ${i}`);
            continue;
          }
          for (let ch = 0; ch < 3; ch++) {
            const expected = (image[ch * plane + i] ?? 0) * 255;
            worst = Math.max(worst, Math.abs((got.data[i * 4 + ch] ?? 0) - expected));
            spread = Math.max(spread, Math.abs(expected - 127.5));
          }
        }
        t.diagnostic(`max |ours − torch| ${worst.toFixed(2)} levels`);
        assert.ok(spread > 20, 'the reference image is not flat');
        assert.ok(worst <= 1.5, `max difference ${worst.toFixed(2)} levels`);
      } finally {
        await ref.close();
      }
    });
  }
});
