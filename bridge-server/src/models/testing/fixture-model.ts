/**
 * Writes a tiny but complete diffusers ONNX model folder for store tests: every file in place,
 * each graph with the right input names and ranks (Identity bodies; onnxruntime can load them).
 * Returns the files as a map too, so download tests can serve the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildOnnxModel, float32Bytes, OnnxDataType as T, type ValueSpec } from './onnx-builder.js';

export interface FixtureOptions {
  /** The UNet sample input's dims (default symbolic batch/height/width with 4 channels). */
  unetSampleDims?: Array<number | string>;
  unetInChannelsConfig?: number;
  unetSampleSizeConfig?: number;
  /** Store the UNet's weight in this external file (default: inline). */
  unetExternalData?: string;
  /** Extra bytes after the UNet's external weight (to make the file worth resuming). */
  externalDataPadding?: number;
  vaeEncoder?: boolean;
  vaeScalingFactor?: number;
  fp16?: boolean;
}

function identityGraph(inputs: ValueSpec[], output: string, weights?: { location: string | undefined }): Uint8Array {
  const first = inputs[0];
  if (first === undefined) throw new Error('a graph needs an input');
  const w = float32Bytes([0.5, 1.5]);
  return buildOnnxModel({
    inputs,
    outputs: [{ name: output, elemType: first.elemType, dims: first.dims ?? [] }],
    nodes: [{ op: 'Identity', inputs: [first.name], outputs: [output] }],
    initializers:
      weights === undefined
        ? []
        : [
            {
              name: 'unused_weight',
              elemType: T.float,
              dims: [2],
              raw: w,
              ...(weights.location !== undefined ? { external: { location: weights.location, offset: 0 } } : {}),
            },
          ],
  });
}

export async function writeFixtureModel(dir: string, options: FixtureOptions = {}): Promise<Map<string, Uint8Array>> {
  const f = options.fp16 === true ? T.float16 : T.float;
  const files = new Map<string, Uint8Array>();
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const json = (v: unknown): Uint8Array => text(JSON.stringify(v, null, 2));

  files.set('model_index.json', json({ _class_name: 'OnnxStableDiffusionPipeline', _diffusers_version: '0.30.0' }));
  files.set('scheduler/scheduler_config.json', json({ _class_name: 'PNDMScheduler', beta_start: 0.00085, beta_end: 0.012, num_train_timesteps: 1000 }));
  files.set('tokenizer/vocab.json', json({ '<|startoftext|>': 49406, '<|endoftext|>': 49407, 'a</w>': 320 }));
  files.set('tokenizer/merges.txt', text('#version: 0.2\na b\n'));
  files.set('tokenizer/special_tokens_map.json', json({ pad_token: '<|endoftext|>' }));
  files.set('tokenizer/tokenizer_config.json', json({ model_max_length: 77 }));

  files.set('text_encoder/model.onnx', identityGraph([{ name: 'input_ids', elemType: T.int32, dims: ['batch', 'sequence'] }], 'last_hidden_state'));
  const unetConfig: Record<string, unknown> = {};
  if (options.unetInChannelsConfig !== undefined) unetConfig['in_channels'] = options.unetInChannelsConfig;
  if (options.unetSampleSizeConfig !== undefined) unetConfig['sample_size'] = options.unetSampleSizeConfig;
  if (Object.keys(unetConfig).length > 0) files.set('unet/config.json', json(unetConfig));
  files.set(
    'unet/model.onnx',
    identityGraph(
      [
        { name: 'sample', elemType: f, dims: options.unetSampleDims ?? ['batch', 4, 'height', 'width'] },
        { name: 'timestep', elemType: T.int64, dims: [1] },
        { name: 'encoder_hidden_states', elemType: f, dims: ['batch', 'sequence', 768] },
      ],
      'out_sample',
      { location: options.unetExternalData },
    ),
  );
  if (options.unetExternalData !== undefined) {
    const data = new Uint8Array(8 + (options.externalDataPadding ?? 0));
    data.set(float32Bytes([0.5, 1.5]));
    for (let i = 8; i < data.length; i++) data[i] = (i * 31) & 0xff;
    files.set(`unet/${options.unetExternalData}`, data);
  }

  files.set('vae_decoder/model.onnx', identityGraph([{ name: 'latent_sample', elemType: f, dims: ['batch', 4, 'h', 'w'] }], 'sample'));
  if (options.vaeScalingFactor !== undefined) files.set('vae_decoder/config.json', json({ scaling_factor: options.vaeScalingFactor }));
  if (options.vaeEncoder !== false) {
    files.set('vae_encoder/model.onnx', identityGraph([{ name: 'sample', elemType: f, dims: ['batch', 3, 'h', 'w'] }], 'latent_sample'));
  }

  for (const [rel, bytes] of files) {
    const full = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, bytes);
  }
  return files;
}
