import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BridgeError } from '@latent-bridge/shared';
import { inspectModel } from './inspect-model.js';
import { validateModelFolder } from './validate-model.js';
import { writeFixtureModel, type FixtureOptions } from './testing/fixture-model.js';
import { buildOnnxModel, OnnxDataType as T } from './testing/onnx-builder.js';

let root = '';
let n = 0;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lb-validate-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function fixture(options: FixtureOptions = {}): Promise<string> {
  const dir = path.join(root, `model-${n++}`);
  await writeFixtureModel(dir, options);
  return dir;
}

function summary(problems: Array<{ kind: string; file: string }>): string[] {
  return problems.map((p) => `${p.kind} ${p.file}`).sort();
}

test('a complete folder has no problems and inspects with defaults', async () => {
  const dir = await fixture();
  assert.deepEqual(await validateModelFolder(dir), []);
  const info = await inspectModel(dir);
  assert.equal(info.name, path.basename(dir));
  assert.equal(info.dir, dir);
  assert.equal(info.components.unet, path.join(dir, 'unet', 'model.onnx'));
  assert.equal(info.components.vaeEncoder, path.join(dir, 'vae_encoder', 'model.onnx'));
  assert.equal(info.scalingFactor, 0.18215);
  assert.equal(info.nativeSize, 512);
  assert.equal(info.staticSize, undefined);
  assert.equal(info.inChannels, 4);
  assert.equal(info.inpainting, false);
  assert.equal(info.hasVaeEncoder, true);
  assert.equal(info.unetDtype, 'float32');
  assert.equal(info.schedulerConfig['_class_name'], 'PNDMScheduler');
  assert.equal(info.tokenizerDir, path.join(dir, 'tokenizer'));
  assert.ok(info.sizeBytes > 500);
});

test('configs and graph dims feed the model facts', async () => {
  const fromConfig = await inspectModel(
    await fixture({
      unetSampleDims: ['batch', 'channels', 'height', 'width'],
      unetSampleSizeConfig: 96,
      unetInChannelsConfig: 9,
      vaeScalingFactor: 0.13025,
      vaeEncoder: false,
      fp16: true,
    }),
  );
  assert.equal(fromConfig.nativeSize, 768);
  assert.equal(fromConfig.inChannels, 9);
  assert.equal(fromConfig.inpainting, true);
  assert.equal(fromConfig.scalingFactor, 0.13025);
  assert.equal(fromConfig.hasVaeEncoder, false);
  assert.equal(fromConfig.components.vaeEncoder, undefined);
  assert.equal(fromConfig.unetDtype, 'float16');

  // Static graph dims win over the config: the channel count and a fixed 64x96 latent.
  const fromGraph = await inspectModel(await fixture({ unetSampleDims: [2, 9, 64, 96], unetInChannelsConfig: 4 }));
  assert.equal(fromGraph.inChannels, 9);
  assert.equal(fromGraph.inpainting, true);
  assert.deepEqual(fromGraph.staticSize, { width: 768, height: 512 });
  assert.equal(fromGraph.nativeSize, 512);
});

test('external weights: accepted when present, reported when missing or short', async () => {
  for (const name of ['weights.pb', 'model.onnx_data', 'model.onnx.data']) {
    const dir = await fixture({ unetExternalData: name });
    assert.deepEqual(await validateModelFolder(dir), [], name);
  }
  const dir = await fixture({ unetExternalData: 'weights.pb' });
  await writeFile(path.join(dir, 'unet', 'weights.pb'), new Uint8Array(5));
  const short = await validateModelFolder(dir);
  assert.deepEqual(summary(short), ['short_external_data unet/weights.pb']);
  assert.equal(short[0]?.path, path.join(dir, 'unet', 'weights.pb'));
  assert.match(short[0]?.message ?? '', /5 bytes/);

  await rm(path.join(dir, 'unet', 'weights.pb'));
  assert.deepEqual(summary(await validateModelFolder(dir)), ['missing_external_data unet/weights.pb']);

  await writeFile(
    path.join(dir, 'unet', 'model.onnx'),
    buildOnnxModel({
      inputs: [
        { name: 'sample', elemType: T.float, dims: ['batch', 4, 'h', 'w'] },
        { name: 'timestep', elemType: T.int64, dims: [1] },
        { name: 'encoder_hidden_states', elemType: T.float, dims: ['batch', 77, 768] },
      ],
      outputs: [{ name: 'out_sample', elemType: T.float }],
      nodes: [{ op: 'Identity', inputs: ['sample'], outputs: ['out_sample'] }],
      initializers: [
        { name: 'w', elemType: T.float, dims: [1], raw: new Uint8Array(4), external: { location: '../../secret', offset: 0 } },
      ],
    }),
  );
  const escaping = await validateModelFolder(dir);
  assert.deepEqual(summary(escaping), ['bad_external_data_location unet/model.onnx']);
  assert.match(escaping[0]?.message ?? '', /outside the model folder/);
});

test('each kind of problem is reported with its path, all at once', async () => {
  const dir = await fixture();
  await rm(path.join(dir, 'unet', 'model.onnx'));
  await rm(path.join(dir, 'tokenizer', 'merges.txt'));
  await writeFile(path.join(dir, 'scheduler', 'scheduler_config.json'), '{ "beta_start": 0.1,');
  await writeFile(path.join(dir, 'tokenizer', 'tokenizer_config.json'), '[1, 2]');
  await writeFile(path.join(dir, 'text_encoder', 'model.onnx'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
  await writeFile(path.join(dir, 'vae_encoder', 'model.onnx'), new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]));
  await writeFile(
    path.join(dir, 'vae_decoder', 'model.onnx'),
    buildOnnxModel({
      inputs: [{ name: 'z', elemType: T.float, dims: [1, 4, 64, 64] }],
      outputs: [{ name: 'sample', elemType: T.float }],
      nodes: [{ op: 'Identity', inputs: ['z'], outputs: ['sample'] }],
    }),
  );
  const problems = await validateModelFolder(dir);
  assert.deepEqual(summary(problems), [
    'invalid_json scheduler/scheduler_config.json',
    'invalid_json tokenizer/tokenizer_config.json',
    'invalid_onnx text_encoder/model.onnx',
    'invalid_onnx vae_encoder/model.onnx',
    'missing_file tokenizer/merges.txt',
    'missing_file unet/model.onnx',
    'signature_mismatch vae_decoder/model.onnx',
  ]);
  const byFile = new Map(problems.map((p) => [p.file, p]));
  assert.match(byFile.get('text_encoder/model.onnx')?.message ?? '', /Git LFS pointer/);
  assert.match(byFile.get('vae_decoder/model.onnx')?.message ?? '', /no input "latent_sample" \(it has "z"\)/);
  assert.equal(byFile.get('unet/model.onnx')?.path, path.join(dir, 'unet', 'model.onnx'));

  await assert.rejects(inspectModel(dir), (e: unknown) => {
    assert.ok(e instanceof BridgeError);
    assert.equal(e.code, 'model_invalid');
    for (const p of problems) assert.ok(e.message.includes(p.message), `message lists ${p.file}`);
    assert.equal(e.field, problems[0]?.path);
    return true;
  });
});

test('wrong ranks and a vae_encoder folder without its model', async () => {
  const dir = await fixture();
  await writeFile(
    path.join(dir, 'text_encoder', 'model.onnx'),
    buildOnnxModel({
      inputs: [{ name: 'input_ids', elemType: T.int64, dims: [77] }],
      outputs: [{ name: 'last_hidden_state', elemType: T.int64 }],
      nodes: [{ op: 'Identity', inputs: ['input_ids'], outputs: ['last_hidden_state'] }],
    }),
  );
  await rm(path.join(dir, 'vae_encoder', 'model.onnx'));
  await mkdir(path.join(dir, 'vae_encoder'), { recursive: true });
  const problems = await validateModelFolder(dir);
  assert.deepEqual(summary(problems), ['missing_file vae_encoder/model.onnx', 'signature_mismatch text_encoder/model.onnx']);
  assert.match(problems.find((p) => p.kind === 'signature_mismatch')?.message ?? '', /rank 1 \[77\], expected rank 2/);
});

test('a missing folder and an empty folder', async () => {
  const missing = await validateModelFolder(path.join(root, 'does-not-exist'));
  assert.deepEqual(summary(missing), ['missing_file .']);
  const empty = path.join(root, 'empty');
  await mkdir(empty);
  assert.deepEqual(summary(await validateModelFolder(empty)), [
    'missing_file model_index.json',
    'missing_file scheduler/scheduler_config.json',
    'missing_file text_encoder/model.onnx',
    'missing_file tokenizer/merges.txt',
    'missing_file tokenizer/vocab.json',
    'missing_file unet/model.onnx',
    'missing_file vae_decoder/model.onnx',
  ]);
});
