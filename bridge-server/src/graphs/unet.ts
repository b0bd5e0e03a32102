/**
 * UNet2DConditionModel (SD 1.x, SD 2.x, SDXL; 4-, 8- and 9-channel inputs; LCM's guidance
 * embedding) as an ONNX graph, with the inputs and outputs optimum's ONNX export writes
 * (`UNetOnnxConfig`): `sample` [batch_size, C, height, width], `timestep` a scalar (rank 0),
 * `encoder_hidden_states` [batch_size, sequence_length, cross_attention_dim], for SDXL
 * `text_embeds` [batch_size, pooled] and `time_ids` [batch_size, 6], for LCM UNets
 * `timestep_cond` [batch_size, time_cond_proj_dim]; output `out_sample` [batch_size, out, height,
 * width]. Symbolic dims as optimum names them; the rest fixed. All of them in the model's float
 * type: optimum exports an fp16 model with fp16 dummy inputs, the timestep included
 * (DummyTimestepInputGenerator: a rank-0 float of float_dtype). Inside, fp16 graphs keep in float32
 * what would overflow or lose precision: the timestep sinusoids (as diffusers computes them),
 * GroupNorm statistics, the attention softmax, and q·kᵀ where upcast_attention asks for it.
 */
import type { FloatType } from '../onnx/graph-builder.js';
import { OpBuilder } from '../onnx/ops.js';
import type { WeightSet } from '../onnx/weight-set.js';
import { conv2d } from './layers.js';
import { groupNorm, type GraphVariant } from './norms.js';
import { assertAllUsed, Params } from './params.js';
import { timestepEmbedding, timestepProjection } from './timestep.js';
import { unetArchitecture, type UNet2DConditionConfig, type UnetArchitecture } from './unet-architecture.js';
import { downBlock, midBlock, upBlock, type BlockInputs, type Features } from './unet-blocks.js';

export interface UnetGraphOptions {
  floatType: FloatType;
  /**
   * The `timestep` input's type; default the float type, as optimum exports it. An fp16 timestep
   * rounds fractional timesteps (Karras/Euler schedules) to 0.5 near t = 1000, where diffusers'
   * torch pipelines keep them in float32: 'float32' here keeps them exact in fp16 graphs.
   */
  timestepType?: FloatType;
  /** How attention, GroupNorm and GEGLU are expressed; 'standard' (plain opset 17) by default. */
  variant?: GraphVariant;
  /** How the weights are stored (GraphBuilder.weightStorage); default the float type. */
  weightStorage?: FloatType;
}

interface UnetInputs {
  sample: string;
  timestep: string;
  context: string;
  textEmbeds: string | undefined;
  timeIds: string | undefined;
  timestepCond: string | undefined;
}

function declareInputs(g: OpBuilder, arch: UnetArchitecture, timestepType: FloatType): UnetInputs {
  const t = g.floatType;
  const sample = g.input('sample', t, ['batch_size', arch.inChannels, 'height', 'width']);
  const timestep = g.input('timestep', timestepType, []);
  const context = g.input('encoder_hidden_states', t, ['batch_size', 'sequence_length', arch.crossAttentionDim]);
  // optimum's order: the forward signature's (timestep_cond among them), then added_cond_kwargs.
  const cond = arch.timeCondProjDim;
  const timestepCond = cond === undefined ? undefined : g.input('timestep_cond', t, ['batch_size', cond]);
  const add = arch.addition;
  const textEmbeds = add === undefined ? undefined : g.input('text_embeds', t, ['batch_size', add.textEmbedsDim]);
  const timeIds = add === undefined ? undefined : g.input('time_ids', t, ['batch_size', add.timeIds]);
  return { sample, timestep, context, textEmbeds, timeIds, timestepCond };
}

/**
 * The time embedding every resnet receives: TimestepEmbedding(Timesteps(t)) [1, timeEmbedDim]
 * (one timestep for the whole batch, broadcast), plus for SDXL the add_embedding of
 * concat(text_embeds, Timesteps(256) of each time id) [batch, timeEmbedDim].
 */
function timeEmbedding(p: Params, arch: UnetArchitecture, inputs: UnetInputs): string {
  const g = p.g;
  const c0 = arch.blockOutChannels[0] ?? 0;
  const sinusoid = { flipSinToCos: arch.flipSinToCos, freqShift: arch.freqShift };
  const projected = timestepProjection(g, inputs.timestep, c0, sinusoid);
  const cond = inputs.timestepCond;
  const condition = cond === undefined || arch.timeCondProjDim === undefined ? undefined : { value: cond, channels: arch.timeCondProjDim };
  let temb = p.module('time_embedding', (m) =>
    timestepEmbedding(m, projected, { inChannels: c0, timeEmbedDim: arch.timeEmbedDim, ...(condition === undefined ? {} : { condition }) }),
  );
  const add = arch.addition;
  if (add !== undefined && inputs.textEmbeds !== undefined && inputs.timeIds !== undefined) {
    const timeEmbeds = g.reshape(timestepProjection(g, inputs.timeIds, add.timeEmbedDim, sinusoid), [-1, add.timeIds * add.timeEmbedDim]);
    const joined = g.concat([inputs.textEmbeds, timeEmbeds], -1);
    const aug = p.module('add_embedding', (m) => timestepEmbedding(m, joined, { inChannels: add.inputDim, timeEmbedDim: arch.timeEmbedDim }));
    temb = g.add(temb, aug);
  }
  return temb;
}

/**
 * The UNet graph from a diffusers config and weights under diffusers names. Every weight the
 * config implies is taken with its shape checked; weights left over are a model_invalid error
 * naming them (they belong to no module of this architecture).
 */
export function buildUnet(config: UNet2DConditionConfig, weights: WeightSet, o: UnetGraphOptions): OpBuilder {
  const arch = unetArchitecture(config);
  const g = new OpBuilder('unet', o.floatType, o.weightStorage ?? o.floatType);
  const p = new Params(g, weights);
  const inputs = declareInputs(g, arch, o.timestepType ?? o.floatType);
  const variant = o.variant === undefined ? {} : { variant: o.variant };
  const blocks: BlockInputs = { arch, temb: timeEmbedding(p, arch, inputs), context: inputs.context, ...variant };

  const c0 = arch.blockOutChannels[0] ?? 0;
  let h: Features = { value: p.module('conv_in', (m) => conv2d(m, inputs.sample, arch.inChannels, c0, 3)), channels: c0 };
  const skips: Features[] = [h];
  arch.blockOutChannels.forEach((_, level) => {
    const x = h;
    h = p.module(`down_blocks.${level}`, (m) => downBlock(m, x, level, blocks, skips));
  });
  const beforeMid = h;
  h = p.module('mid_block', (m) => midBlock(m, beforeMid, blocks));
  arch.blockOutChannels.forEach((_, index) => {
    const x = h;
    h = p.module(`up_blocks.${index}`, (m) => upBlock(m, x, index, blocks, skips));
  });
  if (skips.length > 0) throw new RangeError(`unet: ${skips.length} skip connection(s) left after the up blocks`);
  const last = h;
  const normed = p.module('conv_norm_out', (m) => groupNorm(m, last.value, last.channels, { groups: arch.groups, epsilon: arch.normEps, ...variant }));
  const out = p.module('conv_out', (m) => conv2d(m, g.silu(normed), last.channels, arch.outChannels, 3));
  g.output(out, 'out_sample', o.floatType, ['batch_size', arch.outChannels, 'height', 'width']);
  assertAllUsed(weights.unused(), weights.component);
  return g;
}
