/**
 * TEST ONLY: the keys and shapes of a CompVis/SGM UNetModel state dict, enumerated the way
 * openaimodel.py builds its modules (input_blocks with ResBlock/SpatialTransformer/Downsample,
 * middle_block, output_blocks with the skip widths popped in reverse, Upsample on the last layer
 * of every level but the first), for key-table tests at full model sizes without weights.
 */

export interface LdmUnetParams {
  inChannels: number;
  modelChannels: number;
  channelMult: readonly number[];
  /** Downsampling rates with attention (1 = full resolution). */
  attentionResolutions: readonly number[];
  numResBlocks: number;
  transformerDepth: number | readonly number[];
  contextDim: number;
  useLinear: boolean;
  /** SGM's `num_classes: sequential` label_emb input width (SDXL 2816). */
  admInChannels?: number;
}

export const SD15_UNET: LdmUnetParams = {
  inChannels: 4,
  modelChannels: 320,
  channelMult: [1, 2, 4, 4],
  attentionResolutions: [4, 2, 1],
  numResBlocks: 2,
  transformerDepth: 1,
  contextDim: 768,
  useLinear: false,
};

export const SD21_UNET: LdmUnetParams = { ...SD15_UNET, contextDim: 1024, useLinear: true };

export const SDXL_UNET: LdmUnetParams = {
  inChannels: 4,
  modelChannels: 320,
  channelMult: [1, 2, 4],
  attentionResolutions: [4, 2],
  numResBlocks: 2,
  transformerDepth: [0, 2, 10],
  contextDim: 2048,
  useLinear: true,
  admInChannels: 2816,
};

export function ldmUnetKeys(prefix: string, p: LdmUnetParams): [string, number[]][] {
  const keys: [string, number[]][] = [];
  const vec = (name: string, n: number) => keys.push([`${prefix}${name}`, [n]]);
  const linear = (name: string, out: number, inp: number, bias = true) => {
    keys.push([`${prefix}${name}.weight`, [out, inp]]);
    if (bias) vec(`${name}.bias`, out);
  };
  const conv = (name: string, out: number, inp: number, k: number) => {
    keys.push([`${prefix}${name}.weight`, [out, inp, k, k]]);
    vec(`${name}.bias`, out);
  };
  const norm = (name: string, c: number) => {
    vec(`${name}.weight`, c);
    vec(`${name}.bias`, c);
  };
  const ted = 4 * p.modelChannels;
  const resBlock = (name: string, cin: number, cout: number) => {
    norm(`${name}.in_layers.0`, cin);
    conv(`${name}.in_layers.2`, cout, cin, 3);
    linear(`${name}.emb_layers.1`, cout, ted);
    norm(`${name}.out_layers.0`, cout);
    conv(`${name}.out_layers.3`, cout, cout, 3);
    if (cin !== cout) conv(`${name}.skip_connection`, cout, cin, 1);
  };
  const transformer = (name: string, c: number, depth: number) => {
    norm(`${name}.norm`, c);
    if (p.useLinear) linear(`${name}.proj_in`, c, c);
    else conv(`${name}.proj_in`, c, c, 1);
    for (let d = 0; d < depth; d++) {
      const b = `${name}.transformer_blocks.${d}`;
      for (const attn of ['attn1', 'attn2']) {
        const ctx = attn === 'attn1' ? c : p.contextDim;
        linear(`${b}.${attn}.to_q`, c, c, false);
        linear(`${b}.${attn}.to_k`, c, ctx, false);
        linear(`${b}.${attn}.to_v`, c, ctx, false);
        linear(`${b}.${attn}.to_out.0`, c, c);
      }
      linear(`${b}.ff.net.0.proj`, 8 * c, c);
      linear(`${b}.ff.net.2`, c, 4 * c);
      for (const n of ['norm1', 'norm2', 'norm3']) norm(`${b}.${n}`, c);
    }
    if (p.useLinear) linear(`${name}.proj_out`, c, c);
    else conv(`${name}.proj_out`, c, c, 1);
  };
  const depthAt = (level: number) => (typeof p.transformerDepth === 'number' ? p.transformerDepth : (p.transformerDepth[level] ?? 0));

  linear('time_embed.0', ted, p.modelChannels);
  linear('time_embed.2', ted, ted);
  if (p.admInChannels !== undefined) {
    linear('label_emb.0.0', ted, p.admInChannels);
    linear('label_emb.0.2', ted, ted);
  }
  conv('input_blocks.0.0', p.modelChannels, p.inChannels, 3);
  const chans = [p.modelChannels];
  let ch = p.modelChannels;
  let ds = 1;
  let block = 1;
  p.channelMult.forEach((mult, level) => {
    for (let r = 0; r < p.numResBlocks; r++) {
      resBlock(`input_blocks.${block}.0`, ch, mult * p.modelChannels);
      ch = mult * p.modelChannels;
      if (p.attentionResolutions.includes(ds)) transformer(`input_blocks.${block}.1`, ch, depthAt(level));
      chans.push(ch);
      block++;
    }
    if (level !== p.channelMult.length - 1) {
      conv(`input_blocks.${block}.0.op`, ch, ch, 3);
      chans.push(ch);
      ds *= 2;
      block++;
    }
  });
  resBlock('middle_block.0', ch, ch);
  transformer('middle_block.1', ch, depthAt(p.channelMult.length - 1));
  resBlock('middle_block.2', ch, ch);
  let out = 0;
  [...p.channelMult.entries()].reverse().forEach(([level, mult]) => {
    for (let i = 0; i <= p.numResBlocks; i++) {
      const ich = chans.pop() ?? 0;
      resBlock(`output_blocks.${out}.0`, ch + ich, p.modelChannels * mult);
      ch = p.modelChannels * mult;
      const attention = p.attentionResolutions.includes(ds);
      if (attention) transformer(`output_blocks.${out}.1`, ch, depthAt(level));
      if (level > 0 && i === p.numResBlocks) {
        conv(`output_blocks.${out}.${attention ? 2 : 1}.conv`, ch, ch, 3);
        ds /= 2;
      }
      out++;
    }
  });
  norm('out.0', ch);
  conv('out.2', 4, p.modelChannels, 3);
  return keys;
}
