/**
 * TAESD's decoder (madebyollin/taesd `taesd.py` Decoder; diffusers' DecoderTiny) as an ONNX graph,
 * over weights under diffusers names (`decoder.layers.N.*`, see convert/layouts/taesd.ts):
 *
 *   Clamp (tanh(x/3)·3) → conv(latent, 64) → ReLU
 *   → per level: num_blocks × Block, then (all but the last) nearest ×2 and conv(64, 64, no bias)
 *   → the last level's blocks → conv(64, 3)
 *
 * Block: conv → ReLU → conv → ReLU → conv, plus the input (through a 1×1 conv without bias when
 * the channels change), then ReLU. Input `latent_sample`: latents as the UNet sees them (no
 * scaling factor); output `sample`: RGB around [0, 1] (taesd.py's convention; clamp to show it).
 */
import { BridgeError } from '@latent-bridge/shared';
import type { FloatType } from '../onnx/graph-builder.js';
import { OpBuilder } from '../onnx/ops.js';
import type { WeightSet } from '../onnx/weight-set.js';

/** DecoderTiny's config for SD/SDXL's taesd and taesdxl (diffusers AutoencoderTiny defaults). */
export interface TaesdDecoderConfig {
  latentChannels: number;
  blockOutChannels: readonly number[];
  numBlocks: readonly number[];
  upsamplingScalingFactor: number;
}

export const TAESD_DECODER: TaesdDecoderConfig = {
  latentChannels: 4,
  blockOutChannels: [64, 64, 64, 64],
  numBlocks: [3, 3, 3, 1],
  upsamplingScalingFactor: 2,
};

interface Ctx {
  g: OpBuilder;
  weights: WeightSet;
}

/** nn.Conv2d(inC, outC, kernel, padding=kernel//2, bias). */
function conv(k: Ctx, x: string, name: string, inC: number, outC: number, kernel: number, bias: boolean): string {
  const p = (kernel - 1) / 2;
  const w = k.g.param(`${name}.weight`, k.weights.get(`${name}.weight`, [outC, inC, kernel, kernel]));
  const b = bias ? k.g.param(`${name}.bias`, k.weights.get(`${name}.bias`, [outC])) : undefined;
  return k.g.conv(x, w, b, { pads: [p, p, p, p] });
}

function relu(k: Ctx, x: string): string {
  return k.g.op('Relu', [x]);
}

/** Clamp: tanh(x / 3) · 3, a soft limit on the latents. */
function clamp(k: Ctx, x: string): string {
  return k.g.scale(k.g.op('Tanh', [k.g.scale(x, 1 / 3)]), 3);
}

/** AutoencoderTinyBlock / taesd.py Block. */
function block(k: Ctx, x: string, name: string, inC: number, outC: number): string {
  let h = relu(k, conv(k, x, `${name}.conv.0`, inC, outC, 3, true));
  h = relu(k, conv(k, h, `${name}.conv.2`, outC, outC, 3, true));
  h = conv(k, h, `${name}.conv.4`, outC, outC, 3, true);
  const skip = inC === outC ? x : conv(k, x, `${name}.skip`, inC, outC, 1, false);
  return relu(k, k.g.add(h, skip));
}

export function buildTaesdDecoder(config: TaesdDecoderConfig, weights: WeightSet, floatType: FloatType = 'float32'): OpBuilder {
  const g = new OpBuilder('taesd_decoder', floatType);
  const k: Ctx = { g, weights };
  const first = config.blockOutChannels[0] ?? 64;
  const latent = g.input('latent_sample', floatType, ['batch', config.latentChannels, 'height', 'width']);
  let index = 0;
  const next = (): string => `decoder.layers.${index++}`;
  let x = conv(k, clamp(k, latent), next(), config.latentChannels, first, 3, true);
  x = relu(k, x);
  index++; // the activation's own slot
  let channels = first;
  config.numBlocks.forEach((count, level) => {
    const out = config.blockOutChannels[level] ?? channels;
    for (let b = 0; b < count; b++) {
      x = block(k, x, next(), channels, out);
      channels = out;
    }
    const last = level === config.numBlocks.length - 1;
    if (!last) {
      x = g.upsampleNearest(x, config.upsamplingScalingFactor);
      index++; // nn.Upsample
    }
    x = conv(k, x, next(), channels, last ? 3 : channels, 3, last);
  });
  const f = config.upsamplingScalingFactor ** (config.numBlocks.length - 1);
  g.output(x, 'sample', floatType, ['batch', 3, `height * ${f}`, `width * ${f}`]);
  const unused = weights.unused();
  if (unused.length > 0) {
    throw new BridgeError('model_invalid', `taesd_decoder: ${unused.length} weight(s) no module uses, e.g. ${unused.slice(0, 3).join(', ')} (not a TAESD decoder of this shape)`, unused[0]);
  }
  return g;
}
