/**
 * TEST ONLY: a TensorSource that has keys and shapes but no data (reads give zeros), for checking
 * key tables and config derivation at full model sizes without gigabytes of weights.
 */
import type { StoredDType, TensorEntry, TensorSource } from '../../checkpoint/tensor-source.js';

export class ShapeSource implements TensorSource {
  readonly metadata = {};
  private readonly entries = new Map<string, TensorEntry>();

  constructor(
    readonly file: string,
    tensors: Iterable<readonly [string, readonly number[]]> = [],
  ) {
    for (const [key, shape] of tensors) this.add(key, shape);
  }

  add(key: string, shape: readonly number[], dtype: StoredDType = 'F16'): this {
    const bytes = dtype === 'F32' || dtype === 'I32' ? 4 : dtype === 'I64' || dtype === 'F64' ? 8 : 2;
    this.entries.set(key, { key, dtype, shape, byteLength: shape.reduce((a, b) => a * b, 1) * bytes });
    return this;
  }

  delete(key: string): this {
    this.entries.delete(key);
    return this;
  }

  keys(): readonly string[] {
    return [...this.entries.keys()];
  }

  entry(key: string): TensorEntry | undefined {
    return this.entries.get(key);
  }

  async readRaw(key: string): Promise<Uint8Array> {
    return new Uint8Array(this.entries.get(key)?.byteLength ?? 0);
  }

  async readFloat32(key: string): Promise<Float32Array> {
    const e = this.entries.get(key);
    return new Float32Array(e === undefined ? 0 : e.shape.reduce((a, b) => a * b, 1));
  }

  async close(): Promise<void> {}
}

/** The keys and shapes of a transformers CLIPTextModel checkpoint (CLIP-L: width 768, 12 layers). */
export function clipTextKeys(prefix: string, width: number, layers: number, options: { positionIds?: boolean } = {}): [string, number[]][] {
  const keys: [string, number[]][] = [
    [`${prefix}text_model.embeddings.token_embedding.weight`, [49408, width]],
    [`${prefix}text_model.embeddings.position_embedding.weight`, [77, width]],
  ];
  if (options.positionIds === true) keys.push([`${prefix}text_model.embeddings.position_ids`, [1, 77]]);
  for (let i = 0; i < layers; i++) {
    const l = `${prefix}text_model.encoder.layers.${i}.`;
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) keys.push([`${l}self_attn.${p}.weight`, [width, width]], [`${l}self_attn.${p}.bias`, [width]]);
    keys.push([`${l}layer_norm1.weight`, [width]], [`${l}layer_norm1.bias`, [width]], [`${l}layer_norm2.weight`, [width]], [`${l}layer_norm2.bias`, [width]]);
    keys.push([`${l}mlp.fc1.weight`, [4 * width, width]], [`${l}mlp.fc1.bias`, [4 * width]], [`${l}mlp.fc2.weight`, [width, 4 * width]], [`${l}mlp.fc2.bias`, [width]]);
  }
  keys.push([`${prefix}text_model.final_layer_norm.weight`, [width]], [`${prefix}text_model.final_layer_norm.bias`, [width]]);
  return keys;
}

/** The keys and shapes of an OpenCLIP text tower (ViT-H: 1024 wide, 24 blocks; bigG: 1280, 32). */
export function openClipKeys(prefix: string, width: number, layers: number, projection: number): [string, number[]][] {
  const keys: [string, number[]][] = [
    [`${prefix}positional_embedding`, [77, width]],
    [`${prefix}token_embedding.weight`, [49408, width]],
    [`${prefix}ln_final.weight`, [width]],
    [`${prefix}ln_final.bias`, [width]],
    [`${prefix}text_projection`, [width, projection]],
    [`${prefix}logit_scale`, []],
  ];
  for (let i = 0; i < layers; i++) {
    const r = `${prefix}transformer.resblocks.${i}.`;
    keys.push([`${r}ln_1.weight`, [width]], [`${r}ln_1.bias`, [width]], [`${r}ln_2.weight`, [width]], [`${r}ln_2.bias`, [width]]);
    keys.push([`${r}attn.in_proj_weight`, [3 * width, width]], [`${r}attn.in_proj_bias`, [3 * width]]);
    keys.push([`${r}attn.out_proj.weight`, [width, width]], [`${r}attn.out_proj.bias`, [width]]);
    keys.push([`${r}mlp.c_fc.weight`, [4 * width, width]], [`${r}mlp.c_fc.bias`, [4 * width]], [`${r}mlp.c_proj.weight`, [width, 4 * width]], [`${r}mlp.c_proj.bias`, [width]]);
  }
  return keys;
}

/** The keys and shapes of a CompVis LDM AutoencoderKL (SD's: ch 128, ch_mult [1,2,4,4], 2 res blocks, z 4). */
export function ldmVaeKeys(prefix: string, ch = 128, mult: readonly number[] = [1, 2, 4, 4], resBlocks = 2, z = 4): [string, number[]][] {
  const keys: [string, number[]][] = [];
  const conv = (name: string, cout: number, cin: number, k: number) => keys.push([`${prefix}${name}.weight`, [cout, cin, k, k]], [`${prefix}${name}.bias`, [cout]]);
  const norm = (name: string, c: number) => keys.push([`${prefix}${name}.weight`, [c]], [`${prefix}${name}.bias`, [c]]);
  const resnet = (name: string, cin: number, cout: number) => {
    norm(`${name}.norm1`, cin);
    conv(`${name}.conv1`, cout, cin, 3);
    norm(`${name}.norm2`, cout);
    conv(`${name}.conv2`, cout, cout, 3);
    if (cin !== cout) conv(`${name}.nin_shortcut`, cout, cin, 1);
  };
  const mid = (half: string, c: number) => {
    resnet(`${half}.mid.block_1`, c, c);
    norm(`${half}.mid.attn_1.norm`, c);
    for (const p of ['q', 'k', 'v', 'proj_out']) conv(`${half}.mid.attn_1.${p}`, c, c, 1);
    resnet(`${half}.mid.block_2`, c, c);
  };
  conv('encoder.conv_in', ch, 3, 3);
  let cin = ch;
  mult.forEach((m, i) => {
    for (let j = 0; j < resBlocks; j++) {
      resnet(`encoder.down.${i}.block.${j}`, cin, ch * m);
      cin = ch * m;
    }
    if (i < mult.length - 1) conv(`encoder.down.${i}.downsample.conv`, cin, cin, 3);
  });
  mid('encoder', cin);
  norm('encoder.norm_out', cin);
  conv('encoder.conv_out', 2 * z, cin, 3);
  conv('quant_conv', 2 * z, 2 * z, 1);
  conv('post_quant_conv', z, z, 1);
  conv('decoder.conv_in', cin, z, 3);
  mid('decoder', cin);
  for (let i = mult.length - 1; i >= 0; i--) {
    for (let j = 0; j <= resBlocks; j++) {
      resnet(`decoder.up.${i}.block.${j}`, cin, ch * (mult[i] ?? 1));
      cin = ch * (mult[i] ?? 1);
    }
    if (i > 0) conv(`decoder.up.${i}.upsample.conv`, cin, cin, 3);
  }
  norm('decoder.norm_out', cin);
  conv('decoder.conv_out', 3, cin, 3);
  return keys;
}
