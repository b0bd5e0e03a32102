/**
 * What an import will write, decided before a byte is written: the family and its settings, and
 * for each component the graph (with lazy weights), its config.json and what the user should hear
 * about. Single-file LDM/SGM checkpoints and diffusers folders end in the same plan.
 */
import type { TensorSource } from '../checkpoint/tensor-source.js';
import { buildClipText } from '../graphs/clip-text.js';
import { defaultVariant } from '../graphs/norms.js';
import { buildUnet } from '../graphs/unet.js';
import { buildVaeDecoder, buildVaeEncoder } from '../graphs/vae.js';
import type { ModelFamily, ModelVariant, PredictionType } from '../models/families.js';
import type { FloatType, OpBuilder } from '../onnx/index.js';
import type { TextEncoderLayout } from './detect-checkpoint.js';
import { clipTextWeights } from './layouts/clip-text.js';
import type { ComponentWeights } from './layouts/mapping.js';
import { openClipTextWeights } from './layouts/open-clip.js';
import { deriveClipTextConfig, type OriginalTextEncoder } from './text-config.js';
import { deriveUnetConfig } from './unet-config.js';
import { deriveVaeConfig, vaeFloatType } from './vae-config.js';
import type { OriginalConfig } from './ldm-yaml.js';

export type ComponentName = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_encoder' | 'vae_decoder';

export interface ComponentPlan {
  name: ComponentName;
  graph: OpBuilder;
  config: Record<string, unknown>;
}

export interface ModelPlan {
  family: ModelFamily;
  variant: ModelVariant;
  prediction: PredictionType;
  components: ComponentPlan[];
  /** Tokenizer folders to write, in encoder order (tokenizer/, tokenizer_2/). */
  tokenizers: TextEncoderLayout[];
  scalingFactor: number;
  warnings: string[];
}

export interface TextEncoderSpec {
  source: TensorSource;
  /** Where the encoder sits in the file ('' for a diffusers text_encoder/ file). */
  prefix: string;
  /** How the encoder was trained: OpenAI CLIP (quick_gelu, pads with the end token) or OpenCLIP (gelu, pads with "!"). */
  layout: TextEncoderLayout;
  /** Key names in the file: the original module's (LDM/SGM single files) or transformers' (diffusers folders). */
  names: 'original' | 'transformers';
  /** diffusers' conversion of SD 2's penultimate-layer OpenCLIP: drop the last layer. */
  penultimate: boolean;
  /** CLIPTextModelWithProjection (SDXL's second encoder). */
  projection: boolean;
  configJson?: unknown;
}

export interface PlanInputs {
  family: ModelFamily;
  variant: ModelVariant;
  prediction: PredictionType;
  floatType: FloatType;
  unet: ComponentWeights;
  unetConfigJson?: unknown;
  vae: ComponentWeights;
  vaeConfigJson?: unknown;
  /** The VAE stays finite in fp16 (SDXL's fp16-fix VAE); shapes cannot tell. */
  vaeFp16Safe?: boolean;
  textEncoders: TextEncoderSpec[];
  original?: OriginalConfig;
  /** Rewrites a component's weights before its graph is built (LoRA baking); text encoders and UNet. */
  adjustWeights?: (component: ComponentName, weights: ComponentWeights) => ComponentWeights;
}

/** Text encoder weights under their diffusers names, for a placement in a checkpoint. */
export function textEncoderWeights(spec: TextEncoderSpec, component: 'text_encoder' | 'text_encoder_2'): ComponentWeights {
  return spec.names === 'transformers' || spec.layout === 'clip'
    ? clipTextWeights(spec.source, spec.prefix, { component })
    : openClipTextWeights(spec.source, spec.prefix, { penultimate: spec.penultimate, projection: spec.projection, component });
}

/** Whether an OpenCLIP encoder is imported at its penultimate layer: SD 2.x by default, or as its .yaml says. */
export function penultimateFor(family: ModelFamily, layout: TextEncoderLayout, original: OriginalTextEncoder | undefined): boolean {
  if (layout !== 'open-clip') return false;
  return original?.penultimate ?? family === 'sd2';
}

export function planModel(i: PlanInputs): ModelPlan {
  const sdxl = i.family === 'sdxl';
  const torchDtype = i.floatType === 'float16' ? 'float16' : 'float32';
  const unet = i.adjustWeights?.('unet', i.unet) ?? i.unet;
  const warnings = [...unet.warnings, ...i.vae.warnings];
  const components: ComponentPlan[] = [];

  i.textEncoders.forEach((spec, index) => {
    const name = index === 0 ? 'text_encoder' : 'text_encoder_2';
    const mapped = textEncoderWeights(spec, name);
    const weights = i.adjustWeights?.(name, mapped) ?? mapped;
    warnings.push(...weights.warnings);
    const config = deriveClipTextConfig(weights.weights, {
      layout: spec.layout,
      projection: spec.projection,
      torchDtype,
      component: name,
      ...(spec.configJson !== undefined ? { configJson: spec.configJson } : {}),
    });
    const graph = buildClipText(config, weights.weights, { floatType: i.floatType, hiddenStates: sdxl, projection: spec.projection, component: name });
    components.push({ name, graph, config: { ...config } });
  });

  const unetConfig = deriveUnetConfig(unet.weights, {
    family: i.family,
    prediction: i.prediction,
    ...(i.unetConfigJson !== undefined ? { configJson: i.unetConfigJson } : {}),
    ...(i.original !== undefined ? { original: i.original } : {}),
  });
  components.push({ name: 'unet', graph: buildUnet(unetConfig, unet.weights, { floatType: i.floatType, variant: defaultVariant(i.floatType) }), config: { ...unetConfig } });

  const vaeConfig = deriveVaeConfig(i.vae.weights, {
    family: i.family,
    ...(i.vaeFp16Safe !== undefined ? { fp16Safe: i.vaeFp16Safe } : {}),
    ...(i.vaeConfigJson !== undefined ? { configJson: i.vaeConfigJson } : {}),
    ...(i.original !== undefined ? { original: i.original } : {}),
  });
  const vaeType = vaeFloatType(i.family, i.floatType, vaeConfig.force_upcast);
  if (vaeType !== i.floatType) warnings.push("The SDXL VAE stays float32: the original overflows in float16 (import with --vae-fp16-fix if it is madebyollin's fp16-fix VAE)");
  components.push({ name: 'vae_encoder', graph: buildVaeEncoder(vaeConfig, i.vae.weights, { floatType: vaeType, variant: defaultVariant(vaeType) }), config: { ...vaeConfig } });
  components.push({ name: 'vae_decoder', graph: buildVaeDecoder(vaeConfig, i.vae.weights, { floatType: vaeType, variant: defaultVariant(vaeType) }), config: { ...vaeConfig } });

  return {
    family: i.family,
    variant: i.variant,
    prediction: i.prediction,
    components,
    tokenizers: i.textEncoders.map((t) => t.layout),
    scalingFactor: vaeConfig.scaling_factor,
    warnings,
  };
}
