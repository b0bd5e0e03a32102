/**
 * SD 1.x, SD 2.x (v-prediction) and SDXL txt2img on imported checkpoints against diffusers' loop
 * reproduced in torch (convert/testing/torch/pipeline_reference.py) on the same weights: text
 * encoding per family, SDXL's pooled embeddings, add_time_ids and zeros for an empty negative,
 * Euler timesteps and sigmas, guidance, seeded noise and the VAE decode, compared in pixels.
 * A few-step model (a Turbo name: trailing spacing) at guidance 0 runs one UNet call per step on
 * a batch of one.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openCheckpoint } from '../checkpoint/index.js';
import { repoRoot, runTorchScript } from '../checkpoint/testing/torch-python.js';
import { importModel } from '../convert/import-model.js';
import { checkpointFixture, type CheckpointCase } from '../convert/testing/checkpoint-fixtures.js';
import { ModelStore } from '../models/model-store.js';
import type { PredictionType } from '../models/families.js';
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
}

const CASES: Case[] = [
  { label: 'SD 1.x, guidance 7.5', c: 'sd1', prompt: 'a red house', negative: '', steps: 4, guidance: 7.5, width: 64, height: 64, seed: 42, unetCalls: 4, unetBatch: 2 },
  { label: 'SD 1.x, non-square with a negative prompt', c: 'sd1', prompt: 'a red house', negative: 'blurry', steps: 3, guidance: 5, width: 96, height: 64, seed: 7, unetCalls: 3, unetBatch: 2 },
  { label: 'SD 2.x v-prediction', c: 'sd2', prompt: 'a blue car', negative: 'ugly', steps: 3, guidance: 6, width: 64, height: 96, seed: 5, prediction: 'v_prediction', unetCalls: 3, unetBatch: 2 },
  { label: 'SDXL, empty negative (zeros)', c: 'sdxl', prompt: 'a red house', negative: '', steps: 3, guidance: 5, width: 64, height: 64, seed: 11, unetCalls: 3, unetBatch: 2 },
  { label: 'SDXL, non-square with a negative prompt', c: 'sdxl', prompt: 'a red house', negative: 'blurry', steps: 2, guidance: 4, width: 96, height: 64, seed: 12, unetCalls: 2, unetBatch: 2 },
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
      const fixture = await checkpointFixture(t, k.c, 'fp32');
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
        ours = await generate(model, { mode: 'txt2img', prompt: k.prompt, negative: k.negative, steps: k.steps, guidance: k.guidance, scheduler: 'euler', seed: k.seed, width: k.width, height: k.height });
      } finally {
        await model.release();
      }
      assert.deepEqual(calls, Array.from({ length: k.unetCalls }, () => k.unetBatch), 'UNet calls and their batch');

      const out = join(dir, 'reference.safetensors');
      const script = join(repoRoot(), 'bridge-server/src/convert/testing/torch/pipeline_reference.py');
      const args = [fixture.dir, '--case', k.c, '--vocab', join(repoRoot(), 'bridge-server/assets/clip-tokenizer/vocab.json'), '--prompt', k.prompt, '--negative', k.negative];
      args.push('--seed', String(k.seed), '--steps', String(k.steps), '--guidance', String(k.guidance), '--width', String(k.width), '--height', String(k.height));
      args.push('--spacing', k.spacing ?? 'leading', '--prediction', k.prediction ?? 'epsilon', '--out', out);
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
        for (let i = 0; i < plane; i++) {
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
