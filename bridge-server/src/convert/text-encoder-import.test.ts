/**
 * Text encoders imported from checkpoints (single-file CompVis/SGM/OpenCLIP layouts and diffusers
 * folders) run in onnxruntime and match torch's original modules on the same inputs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import { buildClipText } from '../graphs/clip-text.js';
import { OnnxModel } from '../runtime/index.js';
import { clipTextWeights } from './layouts/clip-text.js';
import { diffusersTextWeights, findComponentWeights } from './layouts/diffusers.js';
import type { ComponentWeights } from './layouts/mapping.js';
import { openClipTextWeights } from './layouts/open-clip.js';
import { assertClose } from './testing/compare.js';
import { openCheckpoint } from '../checkpoint/index.js';
import { textVaeFixture, torchUnavailable, type FixtureCase, type FixtureDtype, type TextVaeFixture } from './testing/text-vae-fixtures.js';
import { deriveClipTextConfig } from './text-config.js';
import type { TextEncoderLayout } from './detect-checkpoint.js';

const skip = torchUnavailable();
const work = await mkdtemp(join(tmpdir(), 'lb-text-import-'));
after(() => rm(work, { recursive: true, force: true }));

interface Encoder {
  /** Component name in the fixture's reference ("text_encoder", "text_encoder_2"). */
  name: 'text_encoder' | 'text_encoder_2';
  layout: TextEncoderLayout;
  prefix: string;
  penultimate: boolean;
  projection: boolean;
}

const ENCODERS: Record<FixtureCase, Encoder[]> = {
  sd1: [{ name: 'text_encoder', layout: 'clip', prefix: 'cond_stage_model.transformer.', penultimate: false, projection: false }],
  sd2: [{ name: 'text_encoder', layout: 'open-clip', prefix: 'cond_stage_model.model.', penultimate: true, projection: false }],
  sdxl: [
    { name: 'text_encoder', layout: 'clip', prefix: 'conditioner.embedders.0.transformer.', penultimate: false, projection: false },
    { name: 'text_encoder_2', layout: 'open-clip', prefix: 'conditioner.embedders.1.model.', penultimate: false, projection: true },
  ],
};

type Format = 'safetensors' | 'ckpt' | 'diffusers';

async function weightsFrom(fixture: TextVaeFixture, format: Format, e: Encoder, dtype: FixtureDtype): Promise<{ source: TensorSource; mapped: ComponentWeights }> {
  if (format === 'diffusers') {
    const files = await findComponentWeights(join(fixture.dir, 'diffusers'), e.name, dtype === 'fp16' ? 'fp16' : undefined);
    assert.equal(files.length, 1);
    const source = await openCheckpoint(files[0] ?? '');
    return { source, mapped: diffusersTextWeights(source, e.name) };
  }
  const source = await openCheckpoint(join(fixture.dir, format === 'ckpt' ? 'model.ckpt' : 'model.safetensors'));
  const mapped =
    e.layout === 'clip'
      ? clipTextWeights(source, e.prefix, { component: e.name })
      : openClipTextWeights(source, e.prefix, { penultimate: e.penultimate, component: e.name });
  return { source, mapped };
}

async function checkEncoder(t: TestContext, c: FixtureCase, dtype: FixtureDtype, format: Format, e: Encoder): Promise<void> {
  const fixture = await textVaeFixture(c, dtype);
  const { source, mapped } = await weightsFrom(fixture, format, e, dtype);
  if (e.layout === 'clip' && format !== 'diffusers') assert.ok(mapped.ignored.some((k) => k.endsWith('position_ids')), 'position_ids ignored');
  const config = deriveClipTextConfig(mapped.weights, { layout: e.layout, projection: e.projection });
  const floatType = dtype === 'fp16' ? 'float16' : 'float32';
  const g = buildClipText(config, mapped.weights, { floatType, hiddenStates: true, projection: e.projection, component: e.name });
  const dir = join(work, `${c}-${dtype}-${format}-${e.name}`);
  await g.write(dir, 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
  await source.close();

  const model = await OnnxModel.open(join(dir, 'model.onnx'));
  try {
    const ref = fixture.reference;
    const idsKey = `${e.name}.in.input_ids`;
    const ids = new BigInt64Array((await ref.readRaw(idsKey)).buffer);
    const out = await model.run({ input_ids: { data: ids, dims: [...(ref.entry(idsKey)?.shape ?? [])] } });
    const tolerance = dtype === 'fp16' ? 1e-2 : 1e-4;
    const names = ref.keys().filter((k) => k.startsWith(`${e.name}.out.`));
    assert.ok(names.length >= 3, 'reference outputs');
    for (const key of names) {
      const name = key.slice(`${e.name}.out.`.length);
      const got = out[name];
      assert.ok(got !== undefined, `output ${name}`);
      assert.deepEqual(got.dims, ref.entry(key)?.shape, `${name} dims`);
      const error = assertClose(got.data as Float32Array, await ref.readFloat32(key), tolerance, `${c} ${dtype} ${format} ${e.name} ${name}`);
      if (!name.startsWith('hidden_states.')) t.diagnostic(`${name}: ${error.toExponential(2)} of max|ref|`);
    }
    // Exactly optimum's outputs: last_hidden_state + pooler_output, or text_embeds + last_hidden_state, then hidden states.
    const layers = config.num_hidden_layers;
    const expectedNames = [...(e.projection ? ['text_embeds', 'last_hidden_state'] : ['last_hidden_state', 'pooler_output']), ...Array.from({ length: layers + 1 }, (_, i) => `hidden_states.${i}`)];
    assert.deepEqual(model.outputs.map((o) => o.name), expectedNames);
    assert.deepEqual(model.inputs.map((i) => `${i.name}:${i.dtype}[${i.dims.join(',')}]`), ['input_ids:int64[batch_size,sequence_length]']);
    assert.ok(model.outputs.every((o) => o.dtype === floatType));
  } finally {
    await model.release();
  }
}

describe('text encoders against torch', { skip }, () => {
  for (const c of ['sd1', 'sd2', 'sdxl'] as const) {
    for (const dtype of ['fp32', 'fp16'] as const) {
      for (const format of ['safetensors', 'ckpt', 'diffusers'] as const) {
        for (const e of ENCODERS[c]) {
          test(`${c} ${e.name} from ${format}, ${dtype}`, (t) => checkEncoder(t, c, dtype, format, e));
        }
      }
    }
  }
});
