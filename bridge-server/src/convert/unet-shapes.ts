/**
 * What a UNet's weights (diffusers names) say about its structure: levels, widths, layers per
 * block, where the transformers sit and how deep they are, projection kind, conditioning widths.
 * Everything here is read off names and shapes; nothing is a full-size constant.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { WeightSet } from '../onnx/weight-set.js';
import { countIndices } from './layouts/mapping.js';

export interface UnetShapes {
  inChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  layersPerBlock: number;
  /** Transformer depth per down level and layer; 0 where a layer has no attention. */
  downDepths: number[][];
  /** The same per up block (up order), L + 1 layers each. */
  upDepths: number[][];
  midDepth: number;
  crossAttentionDim: number;
  /** proj_in is a Linear (SD 2.x, SDXL) rather than a 1×1 conv (SD 1.x). */
  linearProjection: boolean;
  timeEmbedDim: number;
  /** SDXL's add_embedding input width (pooled text + 6 time-id sinusoids). */
  addEmbeddingInputDim: number | undefined;
  /** LCM's time_embedding.cond_proj input width. */
  timeCondProjDim: number | undefined;
}

function missing(weights: WeightSet, name: string, what: string): BridgeError {
  return new BridgeError('model_invalid', `${weights.component}: ${name} is missing, so the ${what} cannot be told`, name);
}

function dim(weights: WeightSet, name: string, axis: number, what: string): number {
  const d = weights.shape(name)?.[axis];
  if (d === undefined) throw missing(weights, name, what);
  return d;
}

function depth(names: readonly string[], block: string): number {
  const escaped = block.replace(/\./g, '\\.');
  return countIndices(names, new RegExp(`^${escaped}\\.transformer_blocks\\.(\\d+)\\.`));
}

function layerCount(names: readonly string[], block: string): number {
  return countIndices(names, new RegExp(`^${block.replace(/\./g, '\\.')}\\.resnets\\.(\\d+)\\.`));
}

/** Reads the structure; throws model_invalid naming the first inconsistency (a level with fewer layers, up/down mismatch). */
export function unetShapes(weights: WeightSet): UnetShapes {
  const names = weights.names();
  const levels = countIndices(names, /^down_blocks\.(\d+)\./);
  const upLevels = countIndices(names, /^up_blocks\.(\d+)\./);
  if (levels === 0) throw missing(weights, 'down_blocks.0.resnets.0.conv1.weight', 'UNet structure');
  if (upLevels !== levels) {
    throw new BridgeError('model_invalid', `${weights.component}: ${levels} down blocks but ${upLevels} up blocks`, `up_blocks.${Math.min(levels, upLevels)}`);
  }
  const layersPerBlock = layerCount(names, 'down_blocks.0');
  const blockOutChannels: number[] = [];
  const downDepths: number[][] = [];
  const upDepths: number[][] = [];
  for (let b = 0; b < levels; b++) {
    const down = `down_blocks.${b}`;
    const up = `up_blocks.${levels - 1 - b}`;
    if (layerCount(names, down) !== layersPerBlock) {
      throw new BridgeError('model_invalid', `${weights.component}: ${down} has ${layerCount(names, down)} resnets, down_blocks.0 has ${layersPerBlock}`, down);
    }
    if (layerCount(names, up) !== layersPerBlock + 1) {
      throw new BridgeError('model_invalid', `${weights.component}: ${up} has ${layerCount(names, up)} resnets, expected ${layersPerBlock + 1}`, up);
    }
    blockOutChannels.push(dim(weights, `${down}.resnets.0.conv1.weight`, 0, `width of level ${b}`));
    downDepths.push(Array.from({ length: layersPerBlock }, (_, j) => depth(names, `${down}.attentions.${j}`)));
  }
  for (let i = 0; i < levels; i++) {
    upDepths.push(Array.from({ length: layersPerBlock + 1 }, (_, j) => depth(names, `up_blocks.${i}.attentions.${j}`)));
  }
  const projIn = names.find((n) => /attentions\.\d+\.proj_in\.weight$/.test(n));
  const toK = names.find((n) => /\.attn2\.to_k\.weight$/.test(n));
  if (projIn === undefined || toK === undefined) {
    throw missing(weights, 'mid_block.attentions.0.proj_in.weight', 'cross-attention layout (SD UNets always have transformers)');
  }
  const addIn = weights.shape('add_embedding.linear_1.weight')?.[1];
  const condIn = weights.shape('time_embedding.cond_proj.weight')?.[1];
  return {
    inChannels: dim(weights, 'conv_in.weight', 1, 'input channels'),
    outChannels: dim(weights, 'conv_out.weight', 0, 'output channels'),
    blockOutChannels,
    layersPerBlock,
    downDepths,
    upDepths,
    midDepth: depth(names, 'mid_block.attentions.0'),
    crossAttentionDim: dim(weights, toK, 1, 'cross-attention width'),
    linearProjection: weights.shape(projIn)?.length === 2,
    timeEmbedDim: dim(weights, 'time_embedding.linear_1.weight', 0, 'time embedding width'),
    addEmbeddingInputDim: addIn,
    timeCondProjDim: condIn,
  };
}
